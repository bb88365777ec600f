/**
 * The seam between the stream engine and a broker client.
 *
 * The engine (this folder) never imports a Kafka library: it drives these two
 * ports. The librdkafka adapter in `streams/kafka/` implements them for
 * production; `testing/fake-broker.ts` implements them in memory for unit tests.
 * Everything an adapter must guarantee is written on the member it concerns.
 */
import type { Observable } from "rxjs";

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * One consumed record. `offset` is a decimal string because Kafka offsets are
 * int64 and a JS number loses precision above 2^53; the engine compares and
 * increments offsets without converting them to numbers.
 */
export interface InboundMessage {
  readonly topic: string;
  readonly partition: number;
  /** Decimal, no sign, no leading zeros (as librdkafka reports it). */
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  /** Header values decoded as UTF-8; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  /** Record timestamp, epoch milliseconds. */
  readonly timestamp: number;
}

/** Commit position: the next offset to read (Kafka semantics: last done + 1). */
export interface OffsetCommit extends TopicPartition {
  readonly offset: string;
}

/**
 * Partition ownership changes, emitted on `assignments$`.
 *
 * - `assigned`: emitted BEFORE the first message of those partitions.
 * - `revoked`: emitted AFTER the last message of those partitions. The adapter
 *   must hold the rebalance (e.g. await inside the client's rebalance callback)
 *   until the engine calls `done()`: the engine uses that window to let in-flight
 *   work finish (bounded wait) and commit. `done` is called exactly once; the
 *   adapter may add its own timeout as a last resort.
 * - `lost`: ownership is already gone (session timeout): the engine drops the
 *   state without committing, since the group has moved on.
 */
export type AssignmentEvent =
  | { readonly type: "assigned"; readonly partitions: readonly TopicPartition[] }
  | { readonly type: "revoked"; readonly partitions: readonly TopicPartition[]; readonly done: () => void }
  | { readonly type: "lost"; readonly partitions: readonly TopicPartition[] };

export interface ConsumerPort {
  /**
   * Records in partition order. Hot: the adapter must not fetch before `start()`.
   * After `pause(tps)` a few already-fetched records of those partitions may
   * still arrive (the engine queues them); after `resume(tps)` delivery must
   * continue right after the last record emitted, never skipping one. A record
   * emitted twice is tolerated (the engine drops offsets it has already seen).
   * Error or completion of this stream stops the engine.
   */
  readonly messages$: Observable<InboundMessage>;
  /** Hot; the engine subscribes before calling `start()`. */
  readonly assignments$: Observable<AssignmentEvent>;
  /** Joins the group and begins fetching. Called once, after both streams are subscribed. */
  start(): Promise<void>;
  /**
   * Stops fetching these partitions without giving them up (no rebalance).
   * Synchronous and idempotent; the engine may call it (and `resume`) from
   * inside a `messages$` emission, so the adapter must allow re-entry.
   */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /**
   * Commits positions (next offset to read). Resolves once the broker accepted
   * them; rejects on failure (the engine retries at its next commit tick).
   * Commits carry the group generation, so a commit after losing a partition is
   * rejected by the broker rather than rewinding the new owner.
   */
  commit(offsets: readonly OffsetCommit[]): Promise<void>;
  /** Leaves the group. Called after the engine's final commit. */
  disconnect(): Promise<void>;
}

export interface OutboundRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  /** Omit to let the client's partitioner hash the key. */
  readonly partition?: number;
}

export interface ProducerPort {
  /**
   * Produces the records. Resolves only when the broker has acknowledged every
   * one of them (idempotent producer, acks=all); rejects if any is not
   * delivered after the client's own retries (delivery timeout). The engine
   * counts a source offset as finished only after this resolves. A rejection
   * whose error has `permanent: true` says the record can never be produced as
   * it is (no such topic, too large, malformed): retrying it is pointless.
   */
  send(records: readonly OutboundRecord[]): Promise<void>;
  /** Flushes outstanding deliveries and closes. */
  disconnect(): Promise<void>;
}

/** Stable map key for a partition (logs, metrics); not used on the hot path. */
export const tpKey = (tp: TopicPartition): string => `${tp.topic}[${tp.partition}]`;
