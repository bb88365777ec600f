/**
 * Rows that are done with (published outbox rows, sent-notification claims, expired
 * idempotency keys) are deleted in small batches, each its own short transaction, so a purge
 * never holds many row locks, never writes one huge WAL record burst and never blocks the
 * hot path. Rows another purger holds are skipped (SKIP LOCKED): several instances just
 * share the work.
 */
import type postgres from "postgres";
import type { Sql } from "./client.ts";

export type PurgeOptions = {
  /** Rows per transaction. */
  readonly batch?: number;
};

/**
 * Deletes the rows of `table` that `due` selects, oldest first by `order`, `batch` at a time.
 * `due` and `order` are fragments (sql`...`) over the table's own columns; an index that
 * serves `due` keeps each batch cheap however large the table grows. Returns the rows deleted.
 */
export async function purgeInBatches(
  sql: Sql,
  table: string,
  due: postgres.PendingQuery<postgres.Row[]>,
  order: postgres.PendingQuery<postgres.Row[]>,
  { batch = 1000 }: PurgeOptions = {},
): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await sql`
      DELETE FROM ${sql(table)}
       WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM ${sql(table)} WHERE ${due} ORDER BY ${order} LIMIT ${batch} FOR UPDATE SKIP LOCKED))`;
    total += res.count;
    if (res.count < batch) return total;
  }
}
