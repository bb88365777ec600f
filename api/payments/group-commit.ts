/**
 * Group commit for payment creates. A create is queued; whenever fewer than maxInFlight
 * batches are running, everything queued (up to maxBatch) goes out as ONE create_payments()
 * call, i.e. one transaction and one WAL flush. With no contention a create is sent at once (batch of
 * one, no added latency); under load the queue fills while connections are busy, so
 * batches grow exactly when fsyncs are the bottleneck.
 *
 * Linger: when the last batch carried more than one create (the API is busy) and only a
 * few are queued, the next batch waits up to `lingerMs` for more. Postgres and the driver
 * pay most of a call per call, so fuller batches free CPU for the requests themselves. An
 * API that is not busy (last batch of one) never waits.
 *
 * Idempotency is unchanged: each item still takes its own advisory lock and claims its
 * own key inside the transaction.
 *
 * Isolation: a batch transaction that fails has stored nothing (not even a key claim), so
 * when Postgres refuses it for the data of some item (see isDataError) the batch is
 * retried in halves, still in this batch's slot, until the item that Postgres refuses
 * fails alone: n items cost at most 2n-1 calls, and only when one of them is bad. Any
 * other failure (connection, timeout, shutdown) fails the batch as before: splitting it
 * would only multiply load on a database that is already in trouble.
 */
import type { Sql } from "../../shared/db/client.ts";
import { type CreateItem, type CreateOutcome, createPayments } from "./repo.ts";

export type GroupCommitter = {
  submit(item: CreateItem): Promise<CreateOutcome>;
  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void>;
};

type Waiting = { item: CreateItem; resolve: (o: CreateOutcome) => void; reject: (e: unknown) => void };

/**
 * SQLSTATE classes that blame the data rather than the database: 22 data exception (e.g.
 * 22P05, a NUL that jsonb cannot hold), 23 integrity constraint violation (e.g. a foreign
 * key), and 54000 program limit exceeded (a value too large to index). Connection errors
 * carry driver codes (ECONNREFUSED, CONNECTION_CLOSED) or class 08/57, never these.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23)[0-9A-Z]{3}$|^54000$/.test(code);
}

export function createGroupCommitter(deps: {
  sql: Sql;
  maxBatch: number;
  maxInFlight: number;
  /** 0 turns lingering off. */
  lingerMs?: number;
  onBatch?: (size: number) => void;
  /** Called after a batch that created at least one payment has committed. */
  onCommitted?: () => void;
}): GroupCommitter {
  const queue: Waiting[] = [];
  let inFlight = 0;
  let idle: (() => void)[] = [];
  const lingerMs = deps.lingerMs ?? 0;
  const enough = Math.max(2, deps.maxBatch / 4);
  let lastBatch = 0;
  let lingering: ReturnType<typeof setTimeout> | null = null;

  const pump = (): void => {
    if (lingering !== null) {
      if (queue.length < enough) return;
      clearTimeout(lingering); // filled up while waiting: go now
      lingering = null;
    } else if (lingerMs > 0 && lastBatch > 1 && queue.length > 0 && queue.length < enough && inFlight < deps.maxInFlight) {
      lingering = setTimeout(() => {
        lingering = null;
        lastBatch = 0; // what gathered goes now, however few
        pump();
      }, lingerMs);
      return;
    }
    while (inFlight < deps.maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, deps.maxBatch);
      lastBatch = batch.length;
      inFlight++;
      commit(batch).finally(() => {
        inFlight--;
        pump();
        if (inFlight === 0 && queue.length === 0) {
          const waiters = idle;
          idle = [];
          waiters.forEach((f) => f());
        }
      });
    }
  };

  /** Settles every item of the batch, each with its own outcome or the error that failed it alone. */
  async function commit(batch: Waiting[]): Promise<void> {
    deps.onBatch?.(batch.length);
    let outcomes: CreateOutcome[];
    try {
      outcomes = await createPayments(
        deps.sql,
        batch.map((w) => w.item),
      );
    } catch (err) {
      if (batch.length > 1 && isDataError(err)) {
        const half = Math.ceil(batch.length / 2);
        await commit(batch.slice(0, half));
        await commit(batch.slice(half));
      } else {
        batch.forEach((w) => w.reject(err));
      }
      return;
    }
    batch.forEach((w, i) => w.resolve(outcomes[i]!));
    if (outcomes.some((o) => o.outcome === "created")) deps.onCommitted?.();
  }

  return {
    submit: (item) =>
      new Promise<CreateOutcome>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      }),
    drain: () => (inFlight === 0 && queue.length === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r))),
  };
}
