/**
 * The stream engine: one consumer lifecycle driving a worker's Pipeline.
 *
 * Per record: track its offset → hold it if not yet due → key-ordered dispatch
 * → decode → handle → (deferred work) → finished; or on failure → classify →
 * produce to a retry tier or the DLQ → finished once the broker acked. Only the
 * contiguous finished prefix of each partition is committed (Committer).
 *
 * Bookkeeping per record is O(1): one Envelope, a map lookup by key, deque
 * pushes/pops; timers exist per partition (due gate) and per engine (commits),
 * never per record.
 */
import { asyncScheduler, Subscription, type SchedulerLike } from "rxjs";
import { Committer } from "./committer.ts";
import { DueGate } from "./due-gate.ts";
import { defaultClassify, PoisonError } from "./errors.ts";
import { KeyedDispatcher } from "./keyed-dispatcher.ts";
import { Envelope, PartitionState } from "./partition-state.ts";
import { PauseControl, PauseReason } from "./pause-control.ts";
import { noopObserver, silentLog, type EngineLog, type EngineObserver, type Flushable, type Pipeline } from "./pipeline.ts";
import type { AssignmentEvent, ConsumerPort, InboundMessage, ProducerPort, TopicPartition } from "./ports.ts";
import { failureRecord, routeFailure } from "./retry-policy.ts";
import { defaultEngineOptions, type EngineDeps, type EngineOptions, type EngineStats } from "./engine-options.ts";
import { IdleWaiters } from "./idle-waiters.ts";

export { defaultEngineOptions, type EngineDeps, type EngineOptions, type EngineStats } from "./engine-options.ts";

export class StreamEngine<T> {
  #pipeline: Pipeline<T>;
  #consumer: ConsumerPort;
  #producer: ProducerPort;
  #scheduler: SchedulerLike;
  #observer: EngineObserver;
  #log: EngineLog;
  #random: () => number;
  #flushables: readonly Flushable[];
  #opts: EngineOptions;
  #parts = new Map<string, (PartitionState | undefined)[]>();
  #dispatcher: KeyedDispatcher<Envelope>;
  #pauses: PauseControl;
  #gate: DueGate;
  #committer: Committer;
  #subs = new Subscription();
  #waiters: IdleWaiters;
  #active = 0;
  #stopping = false;
  #stopped: Promise<void> | null = null;
  #failure: unknown = undefined;
  #settle!: { resolve: () => void; reject: (err: unknown) => void };
  /** Settles once the engine has stopped: resolves after a clean stop, rejects with the fault that stopped it. */
  readonly done: Promise<void>;

  constructor(pipeline: Pipeline<T>, deps: EngineDeps, options: Partial<EngineOptions> = {}) {
    this.#pipeline = pipeline;
    this.#consumer = deps.consumer;
    this.#producer = deps.producer;
    this.#scheduler = deps.scheduler ?? asyncScheduler;
    this.#observer = deps.observer ?? noopObserver;
    this.#log = deps.log ?? silentLog;
    this.#random = deps.random ?? Math.random;
    this.#flushables = deps.flushables ?? [];
    this.#opts = { ...defaultEngineOptions, ...options };
    if (this.#opts.lowWater >= this.#opts.highWater) throw new RangeError("lowWater must be below highWater");
    this.#dispatcher = new KeyedDispatcher<Envelope>({
      concurrency: this.#opts.concurrency,
      keyOf: (env) => env.key,
      // Waiters (shutdown) also watch handler slots, not only finished records: wake them on release too.
      run: (env, release) =>
        this.#run(env, () => {
          release();
          this.#wake();
        }),
    });
    this.#pauses = new PauseControl(this.#consumer);
    this.#gate = new DueGate(this.#scheduler, this.#pauses, (env) => this.#dispatcher.submit(env));
    this.#waiters = new IdleWaiters(this.#scheduler);
    this.#committer = new Committer(
      { consumer: this.#consumer, scheduler: this.#scheduler, observer: this.#observer, log: this.#log, partitions: () => this.#owned() },
      this.#opts.commitIntervalMs,
    );
    this.done = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    this.done.catch(() => {}); // observed through `done` by the caller; never an unhandled rejection
  }

  async start(): Promise<void> {
    this.#subs.add(this.#consumer.assignments$.subscribe((ev) => this.#onAssignment(ev)));
    this.#subs.add(
      this.#consumer.messages$.subscribe({
        next: (msg) => this.#onMessage(msg),
        error: (err) => this.#fail(err),
        complete: () => void this.stop(),
      }),
    );
    this.#committer.start();
    await this.#consumer.start();
  }

  /** Graceful stop: stop fetching, drain in-flight work (bounded), flush sinks, commit, disconnect. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= this.#shutdown();
    return this.#stopped;
  }

  stats(): EngineStats {
    const partitions = [...this.#owned()].map((p) => ({ ...p.tp, open: p.tracker.open, lag: p.tracker.lag() }));
    return {
      inFlight: this.#dispatcher.inFlight,
      queued: this.#dispatcher.queued,
      held: this.#gate.held,
      active: this.#active,
      activeKeys: this.#dispatcher.activeKeys,
      pausedPartitions: this.#pauses.pausedPartitions,
      partitions,
    };
  }

  #onMessage(msg: InboundMessage): void {
    if (this.#stopping) return; // not tracked, so not committed: redelivered to the next owner
    const part = this.#parts.get(msg.topic)?.[msg.partition];
    if (part === undefined || part.revoking) return this.#observer.dropped(msg.topic, "unowned");
    const env = new Envelope(msg, part);
    if (!part.tracker.track(env)) return this.#observer.dropped(msg.topic, "duplicate");
    this.#observer.consumed(msg.topic);
    this.#checkLoad(part);
    if (this.#gate.admit(env)) this.#dispatcher.submit(env);
  }

  #run(env: Envelope, release: () => void): void {
    env.part.active++;
    this.#active++;
    let event: T;
    try {
      event = this.#pipeline.decode(env.message);
    } catch (err) {
      return this.#failed(env, err, "poison", release);
    }
    let handled: Promise<void>;
    try {
      handled = this.#pipeline.handle(event, env);
    } catch (err) {
      handled = Promise.reject(err);
    }
    handled.then(
      () => {
        release();
        if (env.deferred === null) return this.#finish(env);
        Promise.all(env.deferred).then(
          () => this.#finish(env),
          (err) => this.#failed(env, err, this.#verdict(err), () => {}),
        );
      },
      // A PoisonError from a handler (a record that contradicts the system of record) is dead-lettered as poison.
      (err) => this.#failed(env, err, err instanceof PoisonError ? "poison" : this.#verdict(err), release),
    );
  }

  #verdict(err: unknown): "retry" | "fatal" {
    let verdict: "retry" | "fatal" | undefined;
    try {
      verdict = this.#pipeline.classify?.(err);
    } catch (classifyErr) {
      this.#log.warn({ err: classifyErr }, "classify threw; using the default classification");
    }
    return verdict ?? defaultClassify(err);
  }

  /** Routes a failure to a retry tier or the DLQ; the key stays held until the broker acked, keeping its order. */
  #failed(env: Envelope, err: unknown, verdict: "retry" | "fatal" | "poison", release: () => void): void {
    if (!env.part.owned) {
      release();
      return this.#finish(env); // late: the next owner redelivers it, so producing a retry would duplicate
    }
    const now = this.#scheduler.now();
    const route = routeFailure(this.#opts.retry, env.message, verdict, now, this.#random);
    const record = failureRecord(env.message, route, err, now);
    this.#producer.send([record]).then(
      () => {
        release();
        if (route.kind === "retry") this.#observer.retried(env.message.topic, route.tier.name);
        else this.#observer.deadLettered(env.message.topic, route.reason);
        this.#finish(env, true);
      },
      (sendErr) => {
        release();
        this.#abandon(env);
        this.#fail(sendErr);
      },
    );
  }

  #finish(env: Envelope, routed = false): void {
    const part = env.part;
    part.active--;
    this.#active--;
    if (!part.owned) this.#observer.dropped(env.message.topic, "late");
    else {
      part.tracker.finish(env);
      if (!routed) this.#observer.handled(env.message.topic);
      this.#checkLoad(part);
    }
    this.#wake();
  }

  /** Gives up on a record without finishing it: its offset is never committed past. */
  #abandon(env: Envelope): void {
    env.part.active--;
    this.#active--;
    this.#wake();
  }

  #wake(): void {
    this.#waiters.wake();
  }

  #checkLoad(part: PartitionState): void {
    if (part.revoking || this.#stopping) return;
    const { open, uncommittedSpan } = part.tracker;
    const o = this.#opts;
    if (part.pauseBits & PauseReason.backpressure) {
      if (open <= o.lowWater && uncommittedSpan < o.maxUncommitted) this.#pauses.set(part, PauseReason.backpressure, false);
    } else if (open >= o.highWater || uncommittedSpan >= o.maxUncommitted) {
      this.#pauses.set(part, PauseReason.backpressure, true);
    }
  }

  #onAssignment(ev: AssignmentEvent): void {
    if (ev.type === "assigned") {
      for (const tp of ev.partitions) {
        const existing = this.#lookup(tp);
        if (existing !== undefined && !existing.revoking) continue;
        const row = this.#parts.get(tp.topic) ?? [];
        row[tp.partition] = new PartitionState(tp);
        this.#parts.set(tp.topic, row);
      }
      this.#log.info({ partitions: ev.partitions }, "partitions assigned");
    } else if (ev.type === "revoked") {
      this.#revoke(ev.partitions).then(ev.done, (err) => {
        this.#log.error({ err }, "revoke handling failed");
        ev.done();
      });
    } else {
      const parts = this.#detach(ev.partitions);
      for (const part of parts) this.#forget(part);
      this.#log.warn({ partitions: ev.partitions }, "partitions lost; uncommitted work will be redelivered");
    }
  }

  async #revoke(tps: readonly TopicPartition[]): Promise<void> {
    const parts = this.#detach(tps);
    const drained = await this.#waitFor(() => parts.every((p) => p.active === 0), this.#opts.revokeTimeoutMs);
    if (!drained) this.#log.warn({ partitions: tps }, "revoke: in-flight work did not finish in time; its results will be dropped");
    await this.#committer.commit(parts);
    for (const part of parts) this.#forget(part);
    this.#log.info({ partitions: tps }, "partitions revoked");
  }

  /** Stops dispatching for these partitions: queued and held records are dropped (they will be redelivered). */
  #detach(tps: readonly TopicPartition[]): PartitionState[] {
    const parts: PartitionState[] = [];
    for (const tp of tps) {
      const part = this.#lookup(tp);
      if (part === undefined || part.revoking) continue;
      part.revoking = true;
      this.#gate.drop(part);
      this.#pauses.forget(part);
      parts.push(part);
    }
    if (parts.length > 0) this.#dispatcher.dropQueued((env) => env.part.revoking);
    return parts;
  }

  #forget(part: PartitionState): void {
    part.owned = false;
    const row = this.#parts.get(part.tp.topic);
    if (row !== undefined && row[part.tp.partition] === part) row[part.tp.partition] = undefined;
  }

  #lookup(tp: TopicPartition): PartitionState | undefined {
    return this.#parts.get(tp.topic)?.[tp.partition];
  }

  *#owned(): Iterable<PartitionState> {
    for (const row of this.#parts.values()) for (const part of row) if (part?.owned) yield part;
  }

  #waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.#waiters.waitFor(cond, timeoutMs);
  }

  #fail(err: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = err ?? new Error("stream engine failed");
    this.#log.error({ err }, "stream engine failure; stopping");
    void this.stop();
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true;
    const parts = [...this.#owned()];
    for (const part of parts) {
      this.#pauses.set(part, PauseReason.stopping, true);
      this.#gate.drop(part);
    }
    this.#dispatcher.dropQueued(() => true);
    const deadline = this.#scheduler.now() + this.#opts.drainTimeoutMs;
    await this.#waitFor(() => this.#dispatcher.inFlight === 0, this.#opts.drainTimeoutMs);
    await Promise.all(this.#flushables.map((f) => f.flush().catch((err) => this.#log.warn({ err }, "flush at shutdown failed"))));
    const drained = await this.#waitFor(() => this.#active === 0, deadline - this.#scheduler.now());
    if (!drained) this.#log.warn({ active: this.#active }, "shutdown: in-flight work did not finish in time");
    this.#committer.stop();
    await this.#committer.commit(parts);
    this.#subs.unsubscribe();
    for (const [name, close] of [
      ["consumer", () => this.#consumer.disconnect()],
      ["producer", () => this.#producer.disconnect()],
    ] as const) {
      await close().catch((err: unknown) => this.#log.warn({ err }, `${name} disconnect failed`));
    }
    if (this.#failure !== undefined) this.#settle.reject(this.#failure);
    else this.#settle.resolve();
  }
}
