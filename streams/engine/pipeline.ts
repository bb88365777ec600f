/**
 * What a worker supplies to the engine: decode, handle, classify. Everything
 * else (ordering, concurrency, commits, retries, DLQ, shutdown) is the engine's.
 */
import type { Verdict } from "./errors.ts";
import type { DeadLetterReason } from "./retry-policy.ts";
import type { InboundMessage, OffsetCommit } from "./ports.ts";

export interface HandlerContext {
  /** The raw record (headers carry the correlation id). */
  readonly message: InboundMessage;
  /** 1 on the first delivery, n on the n-th (after n-1 failures). */
  readonly attempt: number;
  /**
   * Work that must be durable before this record's offset may be committed,
   * e.g. `ctx.defer(auditSink.add(doc))`. The record's key is released when
   * `handle` resolves (so the next record of the key can start), but its offset
   * finishes only when every deferred promise has resolved; a rejection is
   * classified and routed like an error thrown by `handle`.
   */
  defer(work: PromiseLike<unknown>): void;
}

export interface Pipeline<T> {
  /**
   * Bytes to a validated event. Throwing (ideally a PoisonError) sends the
   * record straight to the DLQ: bytes that cannot be decoded now never will be.
   */
  decode(msg: InboundMessage): T;
  /** Resolves when the record is handled. Must bound its own I/O (timeouts): a hung handler holds its key. */
  handle(event: T, ctx: HandlerContext): Promise<void>;
  /** Retry or give up; return undefined to fall back to `defaultClassify`. */
  classify?(err: unknown): Verdict | undefined;
}

export type DropReason = "late" | "unowned" | "duplicate";

/** Engine events for metrics; every method is called synchronously on the hot path, so keep them cheap. */
export interface EngineObserver {
  consumed(topic: string): void;
  handled(topic: string): void;
  retried(topic: string, tier: string): void;
  deadLettered(topic: string, reason: DeadLetterReason): void;
  dropped(topic: string, reason: DropReason): void;
  committed(offsets: readonly OffsetCommit[]): void;
}

export const noopObserver: EngineObserver = {
  consumed() {},
  handled() {},
  retried() {},
  deadLettered() {},
  dropped() {},
  committed() {},
};

/** pino-compatible subset, so a pino logger can be passed as is. */
export interface EngineLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: EngineLog = { info() {}, warn() {}, error() {} };

/** Anything holding deferred work that shutdown should push out early (batching sinks). */
export interface Flushable {
  flush(): Promise<void>;
}
