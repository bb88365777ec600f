/**
 * Webhook endpoint SQL (migration 0013). Every query is scoped by merchant_id; a deleted
 * endpoint is gone for its merchant (404) but kept for its delivery log. Secrets are read
 * here only to be shown once, at creation and rotation.
 */
import type { Sql, TransactionSql } from "../../shared/db/client.ts";
import type { EndpointResource } from "./model.ts";

type Tx = Sql | TransactionSql;

type EndpointRow = {
  id: string;
  url: string;
  description: string | null;
  enabled_events: string[];
  enabled: boolean;
  disabled_reason: string | null;
  api_version: string;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = `ep.id, ep.url, ep.description, ep.enabled_events, ep.enabled, ep.disabled_reason, ep.api_version, ep.created_at, ep.updated_at,
  (SELECT max(s.expires_at) FROM webhook_endpoint_secrets s WHERE s.endpoint_id = ep.id AND s.expires_at > now()) AS previous_secret_expires_at`;

export function toResource(r: EndpointRow): EndpointResource {
  return {
    id: r.id,
    object: "webhook_endpoint",
    url: r.url,
    description: r.description,
    enabled_events: r.enabled_events,
    enabled: r.enabled,
    disabled_reason: r.disabled_reason,
    api_version: r.api_version,
    previous_secret_expires_at: r.previous_secret_expires_at ? r.previous_secret_expires_at.toISOString() : null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/** Two-key advisory lock class for "this merchant's endpoints" (creation counts them). */
const MERCHANT_ENDPOINTS_LOCK = 727_014;

export async function lockMerchantEndpoints(tx: TransactionSql, merchantId: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(${MERCHANT_ENDPOINTS_LOCK}, hashtext(${merchantId}))`;
}

export async function countLiveEndpoints(tx: Tx, merchantId: string): Promise<number> {
  const [row] = await (tx as Sql)<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND deleted_at IS NULL`;
  return row?.n ?? 0;
}

export type NewEndpoint = {
  id: string;
  merchantId: string;
  url: string;
  description: string | null;
  enabledEvents: string[];
  enabled: boolean;
  apiVersion: string;
  secret: string;
};

export async function insertEndpoint(tx: TransactionSql, e: NewEndpoint): Promise<void> {
  await tx`
    INSERT INTO webhook_endpoints (id, merchant_id, url, description, enabled_events, enabled, disabled_reason, disabled_at, api_version)
    VALUES (${e.id}, ${e.merchantId}, ${e.url}, ${e.description}, ${e.enabledEvents}::text[], ${e.enabled},
            ${e.enabled ? null : "merchant"}, ${e.enabled ? null : new Date()}, ${e.apiVersion})`;
  await tx`INSERT INTO webhook_endpoint_secrets (endpoint_id, secret) VALUES (${e.id}, ${e.secret})`;
}

export async function findEndpoint(sql: Tx, merchantId: string, id: string): Promise<EndpointResource | undefined> {
  const rows = await (sql as Sql).unsafe<EndpointRow[]>(
    `SELECT ${COLUMNS} FROM webhook_endpoints ep WHERE ep.merchant_id = $1 AND ep.id = $2 AND ep.deleted_at IS NULL`,
    [merchantId, id],
    { prepare: true },
  );
  return rows[0] ? toResource(rows[0]) : undefined;
}

/** Newest first; ids are time-ordered, so the cursor is "below the last id seen". */
export async function listEndpoints(sql: Sql, p: { merchantId: string; limit: number; startingAfter?: string }) {
  const rows = await sql.unsafe<EndpointRow[]>(
    `SELECT ${COLUMNS} FROM webhook_endpoints ep
      WHERE ep.merchant_id = $1 AND ep.deleted_at IS NULL AND ($2::text IS NULL OR ep.id < $2)
      ORDER BY ep.id DESC LIMIT $3`,
    [p.merchantId, p.startingAfter ?? null, p.limit + 1],
    { prepare: true },
  );
  return { data: rows.slice(0, p.limit).map(toResource), hasMore: rows.length > p.limit };
}

export type EndpointPatch = { url?: string; enabledEvents?: string[]; description?: string | null; enabled?: boolean };

/**
 * Applies a patch; false when there is no such endpoint. Disabling parks the endpoint's
 * pending deliveries (they wait); enabling clears the failure record and makes the head of
 * each of its lanes due, so deliveries resume in order where they stopped.
 */
export async function updateEndpoint(tx: TransactionSql, merchantId: string, id: string, p: EndpointPatch): Promise<boolean> {
  const [before] = await tx<{ enabled: boolean }[]>`
    SELECT enabled FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND id = ${id} AND deleted_at IS NULL FOR UPDATE`;
  if (!before) return false;
  const toggled = p.enabled !== undefined && p.enabled !== before.enabled;
  await tx`
    UPDATE webhook_endpoints SET
      url            = coalesce(${p.url ?? null}, url),
      enabled_events = coalesce(${p.enabledEvents ?? null}::text[], enabled_events),
      description    = CASE WHEN ${p.description !== undefined} THEN ${p.description ?? null} ELSE description END,
      enabled        = coalesce(${p.enabled ?? null}::boolean, enabled),
      disabled_reason = CASE WHEN ${toggled} THEN (CASE WHEN ${p.enabled === true} THEN NULL ELSE 'merchant' END) ELSE disabled_reason END,
      disabled_at    = CASE WHEN ${toggled} THEN (CASE WHEN ${p.enabled === true} THEN NULL ELSE now() END) ELSE disabled_at END,
      failing_since  = CASE WHEN ${toggled && p.enabled === true} THEN NULL ELSE failing_since END,
      updated_at     = now()
     WHERE id = ${id}`;
  if (toggled && p.enabled === false) {
    await tx`UPDATE webhook_deliveries SET next_attempt_at = NULL WHERE endpoint_id = ${id} AND state = 'pending'`;
  } else if (toggled && p.enabled === true) {
    await tx`
      UPDATE webhook_deliveries d SET next_attempt_at = now()
        FROM (SELECT DISTINCT ON (payment_id) id FROM webhook_deliveries
               WHERE endpoint_id = ${id} AND state = 'pending' ORDER BY payment_id, event_seq) AS head
       WHERE d.id = head.id AND d.next_attempt_at IS NULL`;
  }
  return true;
}

/** Soft delete: its pending deliveries end (dead, endpoint_deleted) and its secrets are erased. */
export async function deleteEndpoint(tx: TransactionSql, merchantId: string, id: string): Promise<boolean> {
  const gone = await tx`
    UPDATE webhook_endpoints SET deleted_at = now(), enabled = false, disabled_reason = 'deleted', disabled_at = now(), updated_at = now()
     WHERE merchant_id = ${merchantId} AND id = ${id} AND deleted_at IS NULL`;
  if (gone.count === 0) return false;
  await tx`
    UPDATE webhook_deliveries SET state = 'dead', dead_at = now(), dead_reason = 'endpoint_deleted', next_attempt_at = NULL, leased_until = NULL
     WHERE endpoint_id = ${id} AND state = 'pending'`;
  await tx`DELETE FROM webhook_endpoint_secrets WHERE endpoint_id = ${id}`;
  return true;
}

/**
 * A new current secret; the old one keeps signing for `overlapMs` (both signatures are sent
 * meanwhile). Secrets that had already run out are erased. False when there is no such endpoint.
 */
export async function rotateSecret(tx: TransactionSql, merchantId: string, id: string, secret: string, overlapMs: number): Promise<boolean> {
  const [ep] = await tx`SELECT id FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND id = ${id} AND deleted_at IS NULL FOR UPDATE`;
  if (!ep) return false;
  await tx`DELETE FROM webhook_endpoint_secrets WHERE endpoint_id = ${id} AND expires_at <= now()`;
  await tx`
    UPDATE webhook_endpoint_secrets SET expires_at = now() + make_interval(secs => ${overlapMs / 1000})
     WHERE endpoint_id = ${id} AND expires_at IS NULL`;
  await tx`INSERT INTO webhook_endpoint_secrets (endpoint_id, secret) VALUES (${id}, ${secret})`;
  await tx`UPDATE webhook_endpoints SET updated_at = now() WHERE id = ${id}`;
  return true;
}
