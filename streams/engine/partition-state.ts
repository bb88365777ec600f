/**
 * Per-partition state of one ownership (assignment to revoke), and the
 * per-record envelope. A new assignment gets a new PartitionState, so a late
 * result that still points at the old one is recognised by `owned === false`.
 */
import { Deque } from "./deque.ts";
import { PartitionTracker, type OffsetTicket } from "./offsets.ts";
import type { Pausable } from "./pause-control.ts";
import type { HandlerContext } from "./pipeline.ts";
import type { InboundMessage, TopicPartition } from "./ports.ts";
import { dueAtOf, priorAttempts } from "./retry-policy.ts";
import type { Subscription } from "rxjs";

export class PartitionState implements Pausable {
  readonly tp: TopicPartition;
  readonly tracker = new PartitionTracker<Envelope>();
  /** Records waiting for their due time (retry topics), in partition order. */
  readonly held = new Deque<Envelope>();
  /** Ordering key for records without a key: they keep partition order, as a plain consumer would. */
  readonly nullKey: string;
  dueTimer: Subscription | null = null;
  pauseBits = 0;
  owned = true;
  revoking = false;
  /** Dispatched and not yet finished (handler, deferred work, or retry/DLQ produce outstanding). */
  active = 0;

  constructor(tp: TopicPartition) {
    this.tp = { topic: tp.topic, partition: tp.partition };
    this.nullKey = `\u0000${tp.topic}\u0000${tp.partition}`;
  }
}

/**
 * One record on its way through the engine. It is its own offset ticket and its
 * own HandlerContext, so the hot path allocates one object per record.
 */
export class Envelope implements OffsetTicket, HandlerContext {
  readonly message: InboundMessage;
  readonly part: PartitionState;
  readonly offset: string;
  readonly dueAt: number;
  finished = false;
  deferred: PromiseLike<unknown>[] | null = null;

  constructor(message: InboundMessage, part: PartitionState) {
    this.message = message;
    this.part = part;
    this.offset = message.offset;
    this.dueAt = dueAtOf(message);
  }

  get attempt(): number {
    return priorAttempts(this.message) + 1;
  }

  get key(): string {
    return this.message.key ?? this.part.nullKey;
  }

  defer(work: PromiseLike<unknown>): void {
    (this.deferred ??= []).push(work);
  }
}
