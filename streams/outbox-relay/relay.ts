/**
 * Transactional-outbox relay: moves committed outbox rows to Kafka.
 *
 * One batch is one Postgres transaction: claim up to `batchSize` unpublished
 * rows with FOR UPDATE SKIP LOCKED, produce them (idempotent producer, resolves
 * on the broker's ack), mark them published, commit. So:
 * - two relays never claim the same row (SKIP LOCKED), hence no double publish
 *   in the normal case;
 * - a relay killed mid-batch rolls back, and the next one republishes at most
 *   that batch (consumers are idempotent for exactly this case);
 * - a row is marked only after the broker acknowledged it: nothing is lost.
 *
 * A row the producer refuses for good (no such topic, over the size limit, a
 * payload it cannot send) is quarantined in the same transaction: stored as a
 * dead letter with the error (the DLQ consumer's sweep alerts operators) and
 * never claimed again, so it cannot hold up the rows behind it. A transient
 * failure (broker down, timeouts) fails the whole batch, which is retried.
 */
import type { Sql } from "../../shared/db/client.ts";
import { purgeInBatches, type PurgeOptions } from "../../shared/db/purge.ts";
import { storeQuarantined } from "../../shared/dead-letters/store.ts";
import type { OutboundRecord, ProducerPort } from "../engine/ports.ts";

export interface RelayDeps {
  readonly sql: Sql;
  readonly producer: ProducerPort;
  readonly batchSize: number;
  readonly onBatch?: (rows: number, oldestCreatedAt: Date | null) => void;
  readonly onQuarantined?: (row: { id: string; topic: string }, err: Error) => void;
}

type Row = {
  id: string;
  topic: string;
  key: string | null;
  payload: unknown;
  /** Raw bytes (dead-letter replays, migration 0011): published as they are, preferred over payload. */
  payload_bytes: Buffer | null;
  headers: Record<string, string> | null;
  created_at: Date;
};

/** payload_bytes as is, else the JSON payload; neither = a null value (a replayed tombstone). */
const payloadOf = (r: Row): Buffer | null => r.payload_bytes ?? (r.payload === null || r.payload === undefined ? null : Buffer.from(JSON.stringify(r.payload)));

const isPermanent = (err: unknown): boolean => (err as { permanent?: unknown } | null)?.permanent === true;

/** Publishes one batch; returns how many rows it took off the backlog (published or quarantined). */
export async function relayBatch(deps: RelayDeps): Promise<number> {
  return deps.sql.begin(async (tx) => {
    const rows = await tx<Row[]>`
      SELECT id, topic, key, payload, payload_bytes, headers, created_at
        FROM outbox
       WHERE published_at IS NULL AND quarantined_at IS NULL
       ORDER BY id
       LIMIT ${deps.batchSize}
         FOR UPDATE SKIP LOCKED`;
    if (rows.length === 0) return 0;
    const records: OutboundRecord[] = rows.map((r) => ({
      topic: r.topic,
      key: r.key,
      value: payloadOf(r),
      headers: { ...(r.headers ?? {}), "x-outbox-id": String(r.id) },
    }));
    // Each record settles on its own, so one refused row cannot hide whether the others went out.
    const outcomes = await Promise.allSettled(records.map((r) => deps.producer.send([r])));
    const transient = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected" && !isPermanent(o.reason));
    if (transient) throw transient.reason;
    const refused = rows.flatMap((r, i) => {
      const o = outcomes[i]!;
      return o.status === "rejected" ? [{ row: r, err: o.reason instanceof Error ? o.reason : new Error(String(o.reason)) }] : [];
    });
    const published = rows.filter((_, i) => outcomes[i]!.status === "fulfilled").map((r) => r.id);
    if (published.length) await tx`UPDATE outbox SET published_at = now() WHERE id = ANY(${published}::bigint[])`;
    if (refused.length) {
      await tx`UPDATE outbox SET quarantined_at = now() WHERE id = ANY(${refused.map((f) => f.row.id)}::bigint[])`;
      await storeQuarantined(
        tx,
        refused.map(({ row, err }) => ({ outboxId: row.id, topic: row.topic, key: row.key, value: payloadOf(row), headers: row.headers ?? {}, error: err })),
      );
      for (const { row, err } of refused) deps.onQuarantined?.(row, err);
    }
    deps.onBatch?.(published.length, rows[0]?.created_at ?? null);
    return rows.length;
  });
}

/**
 * Deletes rows published more than `keepMinutes` ago (they only matter for inspection), in
 * small batches over the index on published_at. Quarantined and unpublished rows stay.
 */
export function pruneOutbox(sql: Sql, keepMinutes: number, opts: PurgeOptions = {}): Promise<number> {
  return purgeInBatches(sql, "outbox", sql`published_at < now() - make_interval(mins => ${keepMinutes})`, sql`published_at`, { batch: 2000, ...opts });
}

export async function outboxBacklog(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND quarantined_at IS NULL`;
  return row?.n ?? 0;
}
