/** Merchant and API-key SQL. Keys are only ever looked up by hash. */
import type { Sql } from "../../shared/db/client.ts";
import { hashApiKey, keyPrefix, newApiKey, newMerchantId } from "./keys.ts";

export type CreatedMerchant = { merchantId: string; name: string; apiKey: string };

export async function createMerchant(sql: Sql, name: string): Promise<CreatedMerchant> {
  const merchantId = newMerchantId();
  const apiKey = newApiKey();
  await sql.begin(async (tx) => {
    await tx`INSERT INTO merchants (id, name) VALUES (${merchantId}, ${name})`;
    await tx`INSERT INTO api_keys (key_hash, merchant_id, key_prefix)
             VALUES (${hashApiKey(apiKey)}, ${merchantId}, ${keyPrefix(apiKey)})`;
  });
  return { merchantId, name, apiKey };
}

/**
 * Creates the merchant with a fixed id if missing and attaches `apiKey` to it if that key
 * is not stored yet. Safe to run from every instance at every start.
 */
export async function ensureMerchantWithKey(sql: Sql, merchantId: string, name: string, apiKey: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`INSERT INTO merchants (id, name) VALUES (${merchantId}, ${name}) ON CONFLICT (id) DO NOTHING`;
    await tx`INSERT INTO api_keys (key_hash, merchant_id, key_prefix)
             VALUES (${hashApiKey(apiKey)}, ${merchantId}, ${keyPrefix(apiKey)})
             ON CONFLICT (key_hash) DO NOTHING`;
  });
}

export async function merchantIdForKey(sql: Sql, apiKey: string): Promise<string | undefined> {
  const rows = await sql<{ merchant_id: string }[]>`
    SELECT merchant_id FROM api_keys WHERE key_hash = ${hashApiKey(apiKey)} AND revoked_at IS NULL`;
  return rows[0]?.merchant_id;
}
