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
 * own key inside the transaction. The trade-off: if the batch transaction fails, every
 * request in it fails (500) and nothing of it is stored, so each can be retried safely.
 */
import type { Sql } from "../../shared/db/client.ts";
import { type CreateItem, type CreateOutcome, createPayments } from "./repo.ts";

export type GroupCommitter = {
  submit(item: CreateItem): Promise<CreateOutcome>;
  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void>;
};

type Waiting = { item: CreateItem; resolve: (o: CreateOutcome) => void; reject: (e: unknown) => void };

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
      deps.onBatch?.(batch.length);
      createPayments(
        deps.sql,
        batch.map((w) => w.item),
      )
        .then(
          (outcomes) => {
            if (outcomes.some((o) => o.outcome === "created")) deps.onCommitted?.();
            batch.forEach((w, i) => w.resolve(outcomes[i]!));
          },
          (err: unknown) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
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

  return {
    submit: (item) =>
      new Promise<CreateOutcome>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      }),
    drain: () =>
      inFlight === 0 && queue.length === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r)),
  };
}
