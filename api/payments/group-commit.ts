/**
 * Group commit for payment creates. A create is queued; whenever fewer than maxInFlight
 * batches are running, everything queued (up to maxBatch) goes out as ONE create_payments()
 * call, i.e. one transaction and one WAL flush. With no contention a create is sent at once (batch of
 * one, no added latency); under load the queue fills while connections are busy, so
 * batches grow exactly when fsyncs are the bottleneck.
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
  onBatch?: (size: number) => void;
  /** Called after a batch that created at least one payment has committed. */
  onCommitted?: () => void;
}): GroupCommitter {
  const queue: Waiting[] = [];
  let inFlight = 0;
  let idle: (() => void)[] = [];

  const pump = (): void => {
    while (inFlight < deps.maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, deps.maxBatch);
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
