/**
 * Idempotency records are kept at least the TTL (24 h by default), then deleted in small
 * batches so the purge never holds long locks. Every API instance runs it; they just
 * share the work.
 */
import type { Sql } from "../../shared/db/client.ts";
import { purgeInBatches } from "../../shared/db/purge.ts";

export function purgeExpiredIdempotencyKeys(sql: Sql, ttlHours: number, batch = 5000): Promise<number> {
  return purgeInBatches(sql, "idempotency_keys", sql`created_at < now() - make_interval(hours => ${ttlHours})`, sql`created_at`, { batch });
}
