/** Engine configuration, dependencies and the stats it reports. */
import type { SchedulerLike } from "rxjs";
import type { EngineLog, EngineObserver, Flushable } from "./pipeline.ts";
import type { ConsumerPort, ProducerPort } from "./ports.ts";
import { defaultRetryPolicy, type RetryPolicy } from "./retry-policy.ts";

export interface EngineOptions {
  /** Handlers running at once across all partitions. */
  readonly concurrency: number;
  /** Pause a partition when its unfinished records (queued + in flight + held + awaiting a batch) reach this. */
  readonly highWater: number;
  /** Resume it when they drop to this. */
  readonly lowWater: number;
  /** Also pause when this many records sit between the commit position and the newest one (a stuck head). */
  readonly maxUncommitted: number;
  /**
   * How often finished positions are committed. Each commit is a record on the broker (and
   * a replicated one on a cluster); a crash redelivers at most this much work, which the
   * handlers' idempotency absorbs. Revokes and shutdown commit at once, whatever this says.
   */
  readonly commitIntervalMs: number;
  /** Bounded wait for in-flight work of revoked partitions before committing and letting them go. */
  readonly revokeTimeoutMs: number;
  /** Bounded wait for in-flight work at shutdown. */
  readonly drainTimeoutMs: number;
  readonly retry: RetryPolicy;
}

export const defaultEngineOptions: EngineOptions = {
  concurrency: 64,
  highWater: 1000,
  lowWater: 500,
  maxUncommitted: 10_000,
  commitIntervalMs: 1000,
  revokeTimeoutMs: 10_000,
  drainTimeoutMs: 15_000,
  retry: defaultRetryPolicy,
};

export interface EngineDeps {
  readonly consumer: ConsumerPort;
  readonly producer: ProducerPort;
  /** Clock and timers; a TestScheduler in tests. */
  readonly scheduler?: SchedulerLike;
  readonly observer?: EngineObserver;
  readonly log?: EngineLog;
  /** Jitter source for retry delays. */
  readonly random?: () => number;
  /** Flushed at shutdown so deferred work completes without waiting for its timer. */
  readonly flushables?: readonly Flushable[];
}

export interface EngineStats {
  readonly inFlight: number;
  readonly queued: number;
  readonly held: number;
  readonly active: number;
  readonly activeKeys: number;
  readonly pausedPartitions: number;
  readonly partitions: readonly { topic: string; partition: number; open: number; lag: number }[];
}
