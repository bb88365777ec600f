/**
 * Key-ordered bounded concurrency (the parallel-consumer model).
 *
 * Invariants:
 * - at most `concurrency` items run at once, across all keys;
 * - never two items with the same key at once, and items of a key run in submission order;
 * - a key whose item is slow or failing holds only its own lane;
 * - a lane is deleted the moment it is idle, so memory follows the live keys, not every key ever seen
 *   (what `groupBy` without a duration would keep forever).
 *
 * Keys waiting for a free slot queue FIFO in `#ready`, so a hot key cannot starve the others.
 * The dispatcher itself never buffers without bound: the engine pauses partitions whose
 * buffered work passes a limit (see engine backpressure), so `queued` stays bounded.
 */
import { Deque } from "./deque.ts";

interface Lane<T> {
  readonly key: string;
  readonly queue: T[];
  running: boolean;
  waiting: boolean;
}

export interface KeyedDispatcherOptions<T> {
  readonly concurrency: number;
  readonly keyOf: (item: T) => string;
  /** Starts an item. `release` frees its key and slot; it must be called once (extra calls are ignored). */
  readonly run: (item: T, release: () => void) => void;
}

export class KeyedDispatcher<T> {
  #lanes = new Map<string, Lane<T>>();
  #ready = new Deque<Lane<T>>();
  #inFlight = 0;
  #queued = 0;
  #pumping = false;
  #opts: KeyedDispatcherOptions<T>;

  constructor(opts: KeyedDispatcherOptions<T>) {
    if (!(opts.concurrency >= 1)) throw new RangeError("concurrency must be >= 1");
    this.#opts = opts;
  }

  get inFlight(): number {
    return this.#inFlight;
  }
  get queued(): number {
    return this.#queued;
  }
  /** Keys with work running or queued; idle keys hold no state. */
  get activeKeys(): number {
    return this.#lanes.size;
  }

  submit(item: T): void {
    const key = this.#opts.keyOf(item);
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { key, queue: [], running: false, waiting: false };
      this.#lanes.set(key, lane);
    }
    if (!lane.running && lane.queue.length === 0 && this.#inFlight < this.#opts.concurrency && this.#ready.length === 0) {
      this.#start(lane, item);
      return;
    }
    lane.queue.push(item);
    this.#queued++;
    if (!lane.running && !lane.waiting) {
      lane.waiting = true;
      this.#ready.push(lane);
    }
    this.#pump();
  }

  /** Removes queued (not yet started) items matching `pred`; running items are unaffected. O(queued). */
  dropQueued(pred: (item: T) => boolean): T[] {
    const dropped: T[] = [];
    for (const lane of this.#lanes.values()) {
      if (lane.queue.length === 0) continue;
      const kept = lane.queue.filter((item) => {
        if (!pred(item)) return true;
        dropped.push(item);
        return false;
      });
      lane.queue.length = 0;
      lane.queue.push(...kept);
      if (kept.length === 0 && !lane.running) this.#forget(lane);
    }
    this.#queued -= dropped.length;
    return dropped;
  }

  #start(lane: Lane<T>, item: T): void {
    lane.running = true;
    this.#inFlight++;
    let released = false;
    this.#opts.run(item, () => {
      if (released) return;
      released = true;
      this.#release(lane);
    });
  }

  #release(lane: Lane<T>): void {
    this.#inFlight--;
    lane.running = false;
    if (lane.queue.length > 0) {
      if (!lane.waiting) {
        lane.waiting = true;
        this.#ready.push(lane);
      }
    } else if (!lane.waiting) {
      this.#forget(lane);
    }
    this.#pump();
  }

  /** A dropped lane may still sit in `#ready` after a new lane took its key; never delete the newcomer. */
  #forget(lane: Lane<T>): void {
    if (this.#lanes.get(lane.key) === lane) this.#lanes.delete(lane.key);
  }

  #pump(): void {
    // A release from inside `run` (synchronous completion) lands here re-entrantly;
    // the outer loop picks its effect up, which keeps the stack flat.
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#inFlight < this.#opts.concurrency && this.#ready.length > 0) {
        const lane = this.#ready.shift() as Lane<T>;
        lane.waiting = false;
        if (lane.running) continue; // re-queued by its release; it will come back
        const item = lane.queue.shift();
        if (item === undefined) {
          this.#forget(lane);
          continue;
        }
        this.#queued--;
        this.#start(lane, item);
      }
    } finally {
      this.#pumping = false;
    }
  }
}
