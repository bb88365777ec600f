/**
 * Virtual time for code that mixes RxJS timers with promises.
 *
 * `TestScheduler.run` flushes synchronously, so promise continuations (handler
 * results, producer acks) would run only after time has already jumped to the
 * end. This clock steps the same TestScheduler one due action at a time and
 * lets the microtask queue settle in between, so `advance(1000)` behaves like
 * 1000 ms of real time, deterministically and instantly.
 */
import { deepStrictEqual } from "node:assert";
import { TestScheduler } from "rxjs/testing";

export class VirtualClock {
  readonly scheduler = new TestScheduler((actual, expected) => deepStrictEqual(actual, expected));

  now(): number {
    return this.scheduler.now();
  }

  /** Runs every timer due up to now + ms, settling promises after each one. */
  async advance(ms: number): Promise<void> {
    const target = this.scheduler.now() + ms;
    await settle();
    for (;;) {
      const next = this.scheduler.actions[0];
      if (next === undefined || next.delay > target) break;
      this.scheduler.maxFrames = next.delay;
      this.scheduler.flush();
      await settle();
    }
    this.scheduler.maxFrames = Number.POSITIVE_INFINITY;
    this.scheduler.frame = Math.max(this.scheduler.frame, target);
    await settle();
  }

  /** Advances in steps of `stepMs` until `cond` holds or `maxMs` passed; returns whether it held. */
  async until(cond: () => boolean, maxMs = 60_000, stepMs = 1): Promise<boolean> {
    for (let waited = 0; waited <= maxMs; waited += stepMs) {
      if (cond()) return true;
      await this.advance(stepMs);
    }
    return cond();
  }
}

/** Lets pending promise chains run (a macrotask turn drains every microtask queued before it). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
