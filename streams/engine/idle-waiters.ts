/**
 * Bounded waits for "nothing left in flight" (revoke, shutdown). Conditions are
 * re-checked only when work finishes (`wake`), never polled; the timeout runs on
 * the engine's scheduler so tests control it.
 */
import type { SchedulerLike } from "rxjs";

export class IdleWaiters {
  #scheduler: SchedulerLike;
  #checks = new Set<() => void>();

  constructor(scheduler: SchedulerLike) {
    this.#scheduler = scheduler;
  }

  /** Resolves true once `cond` holds, false after `timeoutMs`. */
  waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (!cond()) return;
        this.#checks.delete(check);
        timer.unsubscribe();
        resolve(true);
      };
      const timer = this.#scheduler.schedule(
        () => {
          this.#checks.delete(check);
          resolve(false);
        },
        Math.max(0, timeoutMs),
      );
      this.#checks.add(check);
    });
  }

  /** Called whenever work finishes; O(1) when nobody waits, which is the hot-path case. */
  wake(): void {
    if (this.#checks.size === 0) return;
    for (const check of [...this.#checks]) check();
  }
}
