/**
 * Local development: one merchant that always exists. With DEV_MERCHANT_KEY set the same
 * key works on every start (the stack prints it); otherwise a fresh key is issued per start.
 */
import type { Sql } from "../../shared/db/client.ts";
import { newApiKey } from "./keys.ts";
import { ensureMerchantWithKey } from "./repo.ts";

export const DEV_MERCHANT_ID = "mer_dev";

export async function seedDevMerchant(sql: Sql, fixedKey: string | undefined): Promise<{ merchantId: string; apiKey: string }> {
  const apiKey = fixedKey ?? newApiKey();
  await ensureMerchantWithKey(sql, DEV_MERCHANT_ID, "Dev Merchant", apiKey);
  return { merchantId: DEV_MERCHANT_ID, apiKey };
}
