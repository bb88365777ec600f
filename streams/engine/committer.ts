/**
 * Batches commits in time: every `intervalMs`, one commit call carrying every
 * partition whose contiguous finished prefix moved. Per-record commits would
 * cost a broker round trip each; a crash loses at most one interval of commit
 * progress, which at-least-once redelivery covers.
 *
 * Commits are serialised: an explicit commit (revoke, shutdown) waits for the
 * one in flight, so positions never go backwards.
 */
import type { SchedulerLike, Subscription } from "rxjs";
import type { PartitionState } from "./partition-state.ts";
import type { EngineLog, EngineObserver } from "./pipeline.ts";
import type { ConsumerPort, OffsetCommit } from "./ports.ts";

export interface CommitterDeps {
  readonly consumer: Pick<ConsumerPort, "commit">;
  readonly scheduler: SchedulerLike;
  readonly observer: EngineObserver;
  readonly log: EngineLog;
  /** The partitions owned right now. */
  readonly partitions: () => Iterable<PartitionState>;
}

export class Committer {
  #deps: CommitterDeps;
  #intervalMs: number;
  #timer: Subscription | null = null;
  #chain: Promise<void> = Promise.resolve();
  #busy = false;

  constructor(deps: CommitterDeps, intervalMs: number) {
    this.#deps = deps;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#timer !== null) return;
    const self = this;
    this.#timer = this.#deps.scheduler.schedule(function tick() {
      // Skip a tick while the previous commit is still out: the next tick carries its progress.
      if (!self.#busy) void self.commit(self.#deps.partitions());
      this.schedule(undefined, self.#intervalMs);
    }, this.#intervalMs);
  }

  stop(): void {
    this.#timer?.unsubscribe();
    this.#timer = null;
  }

  /** Commits the given partitions' positions now (after any commit in flight). Never rejects. */
  commit(parts: Iterable<PartitionState>): Promise<void> {
    const list = [...parts];
    this.#chain = this.#chain.then(() => this.#commitOnce(list));
    return this.#chain;
  }

  async #commitOnce(parts: readonly PartitionState[]): Promise<void> {
    const offsets: OffsetCommit[] = [];
    const owners: PartitionState[] = [];
    for (const part of parts) {
      if (!part.owned) continue;
      const position = part.tracker.committable();
      if (position === null) continue;
      offsets.push({ topic: part.tp.topic, partition: part.tp.partition, offset: position });
      owners.push(part);
    }
    if (offsets.length === 0) return;
    this.#busy = true;
    try {
      await this.#deps.consumer.commit(offsets);
      owners.forEach((part, i) => part.tracker.markCommitted((offsets[i] as OffsetCommit).offset));
      this.#deps.observer.committed(offsets);
    } catch (err) {
      // Not fatal: the positions stay dirty and the next tick retries them.
      this.#deps.log.warn({ err, offsets }, "offset commit failed");
    } finally {
      this.#busy = false;
    }
  }
}
