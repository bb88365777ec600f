/**
 * Dead-letter storage and operations (migration 0011_dead_letters.sql). Plain SQL and no
 * Kafka import, so the DLQ consumer (Node), the CLI and the API (Bun) share it.
 *
 * Replay does not talk to Kafka: in ONE transaction it writes an outbox row for the first
 * retry tier of the original topic and marks the dead letter replayed; the outbox relay
 * publishes it (the same transactional-outbox path every event takes).
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import { OUTBOX_CHANNEL } from "../db/outbox.ts";
import { recordFailure } from "../payments/charge.ts";
import { Headers, OUTBOX_QUARANTINE, RetryTiers, retryTopic, type RetryTier } from "../topics.ts";
import { DeadLetterError, type DeadLetterDetail, type DeadLetterFilter, type DeadLetterSummary } from "./model.ts";

/** A record read from a `<topic>.dlq`, as the DLQ consumer hands it over. */
export type IncomingDeadLetter = {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
};

type Row = {
  id: string;
  state: DeadLetterSummary["state"];
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  payload: Buffer | null;
  headers: Record<string, string>;
  error_class: string | null;
  error_message: string | null;
  attempts: number;
  original_topic: string;
  original_partition: number | null;
  original_offset: string | null;
  reason: string | null;
  replay_count: number;
  created_at: Date;
  replayed_at: Date | null;
  discarded_at: Date | null;
};

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const toInt = (s: string | undefined): number | null => (s !== undefined && /^\d{1,18}$/.test(s) ? Number(s) : null);

function summary(r: Row): DeadLetterSummary {
  return {
    id: String(r.id),
    state: r.state,
    topic: r.topic,
    partition: r.partition,
    offset: String(r.offset),
    key: r.key,
    original_topic: r.original_topic,
    original_partition: r.original_partition,
    original_offset: r.original_offset === null ? null : String(r.original_offset),
    error_class: r.error_class,
    error_message: r.error_message,
    dead_letter_reason: r.headers[Headers.deadLetterReason] ?? null,
    attempts: r.attempts,
    payload_bytes: r.payload?.length ?? 0,
    reason: r.reason,
    replay_count: r.replay_count,
    created_at: r.created_at.toISOString(),
    replayed_at: iso(r.replayed_at),
    discarded_at: iso(r.discarded_at),
  };
}

function detail(r: Row): DeadLetterDetail {
  let payload: string | null = null;
  let encoding: DeadLetterDetail["payload_encoding"] = null;
  if (r.payload !== null) {
    const text = new TextDecoder("utf-8", { fatal: false }).decode(r.payload);
    // Valid UTF-8 without control characters (other than whitespace) is shown as text.
    const printable = Buffer.from(text, "utf8").equals(r.payload) && !/[\u0000-\u0008\u000e-\u001f]/.test(text);
    payload = printable ? text : r.payload.toString("base64");
    encoding = printable ? "utf8" : "base64";
  }
  return { ...summary(r), headers: r.headers, payload, payload_encoding: encoding };
}

/** Headers of a dead letter that describe its death; a replay starts without them. */
const DEATH_HEADERS: readonly string[] = [
  Headers.deadLetterReason,
  Headers.deadLetteredAt,
  Headers.errorClass,
  Headers.errorMessage,
  Headers.dueAt,
  "x-outbox-id",
];

/**
 * Headers of the replayed record: the original ones (correlation id, original coordinates, first
 * failure time) without the death headers, a fresh attempt count, due now, and the replay marker.
 * `x-attempt: 0` makes the worker see attempt 1 again, so the record gets every retry tier anew.
 */
export function replayHeaders(dead: { id: string; headers: Readonly<Record<string, string>>; original_topic: string }, now: number): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(dead.headers)) if (!DEATH_HEADERS.includes(k)) h[k] = v;
  h[Headers.originalTopic] = dead.original_topic;
  h[Headers.attempt] = "0";
  h[Headers.dueAt] = String(now);
  h[Headers.replay] = dead.id;
  return h;
}

function buildWhere(sql: Sql | TransactionSql, f: DeadLetterFilter) {
  let since: Date | null = null;
  if (f.since !== undefined) {
    since = new Date(f.since);
    // Postgres has no year 0 and no year past 294276; a dead letter is newer than 2000 anyway.
    const year = since.getUTCFullYear();
    if (Number.isNaN(since.getTime()) || year < 2000 || year > 9999)
      throw new DeadLetterError("invalid", "since must be an ISO 8601 time between the years 2000 and 9999");
  }
  return sql`
    WHERE TRUE
      ${f.state ? sql`AND state = ${f.state}` : sql``}
      ${f.topic ? sql`AND (original_topic = ${f.topic} OR topic = ${f.topic})` : sql``}
      ${f.key ? sql`AND key = ${f.key}` : sql``}
      ${since ? sql`AND created_at >= ${since}` : sql``}
      ${f.before ? sql`AND id < ${f.before}::bigint` : sql``}`;
}

/** An outbox row the relay could not publish, stored in the relay's own transaction. */
export type QuarantinedRow = {
  readonly outboxId: string;
  readonly topic: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly error: Error;
};

/**
 * Stores quarantined outbox rows as dead letters (source OUTBOX_QUARANTINE, offset = the
 * outbox id, so storing one twice is a no-op). The DLQ consumer's sweep mails the alert;
 * a replay publishes the bytes again to the first retry tier of the row's topic.
 */
export async function storeQuarantined(tx: TransactionSql, rows: readonly QuarantinedRow[]): Promise<void> {
  for (const r of rows) {
    const headers = { ...r.headers, [Headers.deadLetterReason]: "poison", [Headers.deadLetteredAt]: String(Date.now()) };
    await tx`
      INSERT INTO dead_letters (topic, "partition", "offset", key, payload, headers, error_class, error_message, attempts, original_topic)
      VALUES (${OUTBOX_QUARANTINE}, 0, ${r.outboxId}::bigint, ${r.key}, ${r.value}, ${tx.json(headers)},
              ${r.error.name}, ${r.error.message.slice(0, 1000)}, 1, ${r.topic})
      ON CONFLICT (topic, "partition", "offset") DO NOTHING`;
    if (r.key !== null) {
      const why = `outbox row quarantined, never published to ${r.topic}: ${r.error.name}: ${r.error.message}`;
      await recordFailure(tx, r.key, why, null);
    }
  }
}

/** Advisory-lock id that serialises ops alerts across DLQ consumers (any fixed 64-bit value). */
const ALERT_LOCK_ID = "7305716282337113601";

export interface DeadLetterStoreOptions {
  /** Retry tiers of the workers; replay publishes to the first one. */
  readonly tiers?: readonly RetryTier[];
  readonly now?: () => number;
}

export function deadLetterStore(sql: Sql, opts: DeadLetterStoreOptions = {}) {
  const firstTier = (opts.tiers ?? RetryTiers)[0];
  if (firstTier === undefined) throw new Error("replay needs at least one retry tier");
  const now = opts.now ?? Date.now;

  /** Writes the outbox rows and marks the rows replayed; the caller holds them FOR UPDATE. */
  async function replayRows(tx: TransactionSql, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const at = now();
    for (const r of rows) {
      await tx`
        INSERT INTO outbox (topic, key, payload, payload_bytes, headers)
        VALUES (${retryTopic(r.original_topic, (firstTier as RetryTier).name)}, ${r.key}, NULL, ${r.payload},
                ${tx.json(replayHeaders({ id: String(r.id), headers: r.headers, original_topic: r.original_topic }, at))})`;
    }
    await tx`
      UPDATE dead_letters SET state = 'replayed', replayed_at = now(), replay_count = replay_count + 1
       WHERE id = ANY(${rows.map((r) => r.id)}::bigint[])`;
  }

  const wake = () => sql`SELECT pg_notify(${OUTBOX_CHANNEL}, 'dead-letter-replay')`.catch(() => {});

  return {
    /**
     * Stores a DLQ record once (its Kafka coordinates are unique). When it is new, and its key
     * is a payment still PENDING, the payment's last_error says why it is stuck. Returns the
     * stored summary when new, null for a redelivery.
     */
    async insert(dl: IncomingDeadLetter): Promise<DeadLetterSummary | null> {
      const h = dl.headers;
      const originalTopic = h[Headers.originalTopic] ?? dl.topic.replace(/\.dlq$/, "");
      return sql.begin(async (tx) => {
        const [row] = await tx<Row[]>`
          INSERT INTO dead_letters (topic, "partition", "offset", key, payload, headers, error_class, error_message,
                                    attempts, original_topic, original_partition, original_offset)
          VALUES (${dl.topic}, ${dl.partition}, ${dl.offset}::bigint, ${dl.key}, ${dl.value}, ${tx.json(h as Record<string, string>)},
                  ${h[Headers.errorClass] ?? null}, ${h[Headers.errorMessage] ?? null}, ${toInt(h[Headers.attempt]) ?? 0},
                  ${originalTopic}, ${toInt(h[Headers.originalPartition])}, ${h[Headers.originalOffset] ?? null}::bigint)
          ON CONFLICT (topic, "partition", "offset") DO NOTHING
          RETURNING *`;
        if (row === undefined) return null;
        if (dl.key !== null) {
          const why = `dead-lettered (${h[Headers.deadLetterReason] ?? "unknown"}) after ${row.attempts} attempt(s): ${row.error_class ?? "Error"}: ${row.error_message ?? ""}`;
          await recordFailure(tx, dl.key, why, null);
        }
        return summary(row);
      });
    },

    async list(f: DeadLetterFilter = {}): Promise<DeadLetterSummary[]> {
      const rows = await sql<Row[]>`SELECT * FROM dead_letters ${buildWhere(sql, f)} ORDER BY id DESC LIMIT ${f.limit ?? 50}`;
      return rows.map(summary);
    },

    async show(id: string): Promise<DeadLetterDetail> {
      if (!/^[0-9]{1,18}$/.test(id)) throw new DeadLetterError("not_found", `no dead letter ${id}`);
      const [row] = await sql<Row[]>`SELECT * FROM dead_letters WHERE id = ${id}::bigint`;
      if (row === undefined) throw new DeadLetterError("not_found", `no dead letter ${id}`);
      return detail(row);
    },

    async discard(id: string, reason: string): Promise<DeadLetterSummary> {
      const why = reason.trim();
      if (why.length === 0 || why.length > 500) throw new DeadLetterError("invalid", "a reason of 1-500 characters is required");
      await this.show(id);
      const [row] = await sql<Row[]>`
        UPDATE dead_letters SET state = 'discarded', reason = ${why}, discarded_at = now()
         WHERE id = ${id}::bigint AND state <> 'discarded'
        RETURNING *`;
      if (row === undefined) throw new DeadLetterError("conflict", `dead letter ${id} is already discarded`);
      return summary(row);
    },

    /** Replays one dead letter, whatever its state (an operator asked for this one by id). */
    async replay(id: string): Promise<DeadLetterSummary> {
      if (!/^[0-9]{1,18}$/.test(id)) throw new DeadLetterError("not_found", `no dead letter ${id}`);
      const row = await sql.begin(async (tx) => {
        const [r] = await tx<Row[]>`SELECT * FROM dead_letters WHERE id = ${id}::bigint FOR UPDATE`;
        if (r === undefined) throw new DeadLetterError("not_found", `no dead letter ${id}`);
        await replayRows(tx, [r]);
        const [after] = await tx<Row[]>`SELECT * FROM dead_letters WHERE id = ${id}::bigint`;
        return after as Row;
      });
      await wake();
      return summary(row);
    },

    /** Replays every dead letter matching the filter (state defaults to 'new'); returns the ids. */
    async replayMatching(f: DeadLetterFilter = {}): Promise<string[]> {
      const filter: DeadLetterFilter = { ...f, state: f.state ?? "new" };
      const limit = f.limit ?? 1000;
      const ids: string[] = [];
      // Batches keep each transaction short; SKIP LOCKED lets two operators replay at once without doubling.
      while (ids.length < limit) {
        const batch = await sql.begin(async (tx) => {
          const rows = await tx<Row[]>`
            SELECT * FROM dead_letters ${buildWhere(tx, filter)}
            ${ids.length > 0 ? tx`AND id <> ALL(${ids}::bigint[])` : tx``}
             ORDER BY id LIMIT ${Math.min(200, limit - ids.length)} FOR UPDATE SKIP LOCKED`;
          await replayRows(tx, rows);
          return rows.map((r) => String(r.id));
        });
        if (batch.length === 0) break;
        ids.push(...batch);
      }
      if (ids.length > 0) await wake();
      return ids;
    },

    /**
     * Hands the dead letters not yet in an ops alert to `send` (the oldest `listed` of them,
     * and how many there are), then marks exactly those rows alerted, all in one transaction
     * under a cluster-wide advisory lock. However many DLQ consumers run, a dead letter is in
     * one alert mail; in two only if a consumer dies between sending and committing.
     * "busy": another consumer is alerting right now; "none": nothing to alert.
     */
    async alertUnalerted(listed: number, send: (total: number, items: DeadLetterSummary[]) => Promise<void>): Promise<"busy" | "none" | { alerted: number }> {
      return sql.begin(async (tx) => {
        const [lock] = await tx<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(${ALERT_LOCK_ID}::bigint) AS ok`;
        if (!lock?.ok) return "busy" as const;
        const ids = (await tx<{ id: string }[]>`SELECT id FROM dead_letters WHERE alerted_at IS NULL ORDER BY id`).map((r) => r.id);
        if (ids.length === 0) return "none" as const;
        const rows = await tx<Row[]>`SELECT * FROM dead_letters WHERE id = ANY(${ids.slice(0, listed)}::bigint[]) ORDER BY id`;
        await send(ids.length, rows.map(summary));
        // By id, not "id <= the last one": a row with a lower id may commit after the read.
        // A join, not "= ANY": after a long outage the list can hold many thousand ids.
        await tx`UPDATE dead_letters d SET alerted_at = now() FROM unnest(${ids}::bigint[]) AS u(id) WHERE d.id = u.id`;
        return { alerted: ids.length };
      });
    },
  };
}

export type DeadLetterStore = ReturnType<typeof deadLetterStore>;
