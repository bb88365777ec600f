/**
 * A partition can be paused for several independent reasons (too much buffered
 * work; a retry record not yet due). Each reason is a bit; the port is paused
 * when the first bit is set and resumed only when the last one clears, so one
 * reason never resumes a partition another still needs paused.
 */
import type { ConsumerPort, TopicPartition } from "./ports.ts";

export const PauseReason = {
  backpressure: 1,
  notDue: 2,
  /** Shutdown: never cleared, so nothing resumes a partition once draining began. */
  stopping: 4,
} as const;
export type PauseReason = (typeof PauseReason)[keyof typeof PauseReason];

/** Per-partition pause bits; the engine keeps one on each partition's state. */
export interface Pausable {
  readonly tp: TopicPartition;
  pauseBits: number;
}

export class PauseControl {
  #port: Pick<ConsumerPort, "pause" | "resume">;
  #paused = 0;
  /** Pause/resume calls made, for metrics and tests. */
  transitions = 0;

  constructor(port: Pick<ConsumerPort, "pause" | "resume">) {
    this.#port = port;
  }

  get pausedPartitions(): number {
    return this.#paused;
  }

  set(p: Pausable, reason: PauseReason, on: boolean): void {
    const before = p.pauseBits;
    p.pauseBits = on ? before | reason : before & ~reason;
    if (before === 0 && p.pauseBits !== 0) {
      this.#paused++;
      this.transitions++;
      this.#port.pause([p.tp]);
    } else if (before !== 0 && p.pauseBits === 0) {
      this.#paused--;
      this.transitions++;
      this.#port.resume([p.tp]);
    }
  }

  /** The partition is gone (revoked, lost): drop its bits without a resume call. */
  forget(p: Pausable): void {
    if (p.pauseBits !== 0) this.#paused--;
    p.pauseBits = 0;
  }
}
