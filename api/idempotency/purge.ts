/**
 * Idempotency records are kept at least the TTL (24 h by default), then deleted in small
 * batches so the purge never holds long locks. Every API instance runs it; they just
 * share the work.
 */
import type { Sql } from "../../shared/db/client.ts";

export async function purgeExpiredIdempotencyKeys(sql: Sql, ttlHours: number, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await sql`
      DELETE FROM idempotency_keys
       WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM idempotency_keys
          WHERE created_at < now() - make_interval(hours => ${ttlHours})
          LIMIT ${batch}
          FOR UPDATE SKIP LOCKED))`;
    total += res.count;
    if (res.count < batch) return total;
  }
}
