/**
 * Holds retry records until their `x-due-at`, without sleeping the consumer.
 *
 * When a partition's head record is not due, the partition is paused and ONE
 * timer is armed for that head (not one per record); records already fetched
 * behind it wait in the partition's `held` queue. Other partitions and topics
 * keep flowing. A retry topic has a single delay, so its records are due in
 * roughly partition order and waiting on the head costs nothing.
 *
 * Never early: on each timer the gate re-reads the clock and re-arms if a
 * timer fired before the due time.
 */
import type { SchedulerLike } from "rxjs";
import type { Envelope, PartitionState } from "./partition-state.ts";
import { PauseReason, type PauseControl } from "./pause-control.ts";

export class DueGate {
  #scheduler: SchedulerLike;
  #pauses: PauseControl;
  #release: (env: Envelope) => void;
  #held = 0;

  constructor(scheduler: SchedulerLike, pauses: PauseControl, release: (env: Envelope) => void) {
    this.#scheduler = scheduler;
    this.#pauses = pauses;
    this.#release = release;
  }

  /** Records currently held across partitions. */
  get held(): number {
    return this.#held;
  }

  /** True if the record may run now; otherwise the gate keeps it and releases it when due. */
  admit(env: Envelope): boolean {
    const part = env.part;
    if (part.held.length === 0 && env.dueAt <= this.#scheduler.now()) return true;
    part.held.push(env);
    this.#held++;
    if (part.dueTimer === null) this.#arm(part);
    return false;
  }

  /** Forgets a partition's held records (revoke, shutdown); they stay uncommitted and are redelivered. */
  drop(part: PartitionState): Envelope[] {
    part.dueTimer?.unsubscribe();
    part.dueTimer = null;
    const dropped: Envelope[] = [];
    for (let env = part.held.shift(); env !== undefined; env = part.held.shift()) dropped.push(env);
    this.#held -= dropped.length;
    return dropped;
  }

  #arm(part: PartitionState): void {
    const head = part.held.peek() as Envelope;
    this.#pauses.set(part, PauseReason.notDue, true);
    const wait = Math.max(1, head.dueAt - this.#scheduler.now());
    part.dueTimer = this.#scheduler.schedule(() => this.#fire(part), wait);
  }

  #fire(part: PartitionState): void {
    part.dueTimer = null;
    if (!part.owned || part.revoking) return;
    const now = this.#scheduler.now();
    for (let head = part.held.peek(); head !== undefined && head.dueAt <= now; head = part.held.peek()) {
      part.held.shift();
      this.#held--;
      this.#release(head);
    }
    if (part.held.length > 0) this.#arm(part);
    else this.#pauses.set(part, PauseReason.notDue, false);
  }
}
