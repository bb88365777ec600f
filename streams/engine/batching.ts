/**
 * Batching for bulk writes (e.g. audit docs → Mongo insertMany).
 *
 * `bufferTimeOrCount` emits a batch when it holds `maxItems`, or `maxWaitMs`
 * after its FIRST item: one timer per batch, none while idle, and never an
 * empty batch (unlike `bufferTime`, which ticks on a fixed grid forever).
 *
 * `BatchingSink` turns it into `add(item): Promise<void>` that resolves once
 * the batch holding the item is written, so a handler can
 * `ctx.defer(sink.add(doc))` and its offset is committed only after the write.
 * Writes run one at a time, in order. The sink does not bound its queue: the
 * engine's per-partition high-water mark counts records awaiting a batch, so the
 * number of items waiting here is bounded by it.
 */
import { Observable, Subject, asyncScheduler, concatMap, type OperatorFunction, type SchedulerLike, type Subscription } from "rxjs";

export interface BatchOptions {
  readonly maxItems: number;
  readonly maxWaitMs: number;
  readonly scheduler?: SchedulerLike;
  /** Each emission cuts the current batch short (shutdown, explicit flush). */
  readonly flush$?: Observable<unknown>;
}

export function bufferTimeOrCount<T>(opts: BatchOptions): OperatorFunction<T, T[]> {
  const scheduler = opts.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let timer: Subscription | null = null;
      const emit = () => {
        timer?.unsubscribe();
        timer = null;
        if (batch.length === 0) return;
        const out = batch;
        batch = [];
        subscriber.next(out);
      };
      const flushSub = opts.flush$?.subscribe(() => emit());
      const sub = source.subscribe({
        next: (item) => {
          batch.push(item);
          if (batch.length >= opts.maxItems) emit();
          else if (timer === null) timer = scheduler.schedule(emit, opts.maxWaitMs);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          emit();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        flushSub?.unsubscribe();
        timer?.unsubscribe();
      };
    });
}

export interface BatchingSinkOptions<T> extends Omit<BatchOptions, "flush$"> {
  readonly name: string;
  /** Durable bulk write; resolve only once the items are stored. */
  readonly write: (items: T[]) => Promise<void>;
  /** Called after every write (metrics: batch size, duration). */
  readonly onWrite?: (info: { name: string; size: number; durationMs: number; ok: boolean }) => void;
}

interface Pending<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class BatchingSink<T> {
  #input = new Subject<Pending<T>>();
  #flush = new Subject<void>();
  #last: Promise<void> = Promise.resolve();
  #sub: Subscription;
  #closed = false;

  constructor(opts: BatchingSinkOptions<T>) {
    const scheduler = opts.scheduler ?? asyncScheduler;
    this.#sub = this.#input
      .pipe(
        bufferTimeOrCount<Pending<T>>({ ...opts, flush$: this.#flush }),
        concatMap(async (batch) => {
          const started = scheduler.now();
          try {
            await opts.write(batch.map((p) => p.item));
            opts.onWrite?.({ name: opts.name, size: batch.length, durationMs: scheduler.now() - started, ok: true });
            for (const p of batch) p.resolve();
          } catch (err) {
            opts.onWrite?.({ name: opts.name, size: batch.length, durationMs: scheduler.now() - started, ok: false });
            for (const p of batch) p.reject(err);
          }
        }),
      )
      .subscribe();
  }

  /** Resolves when the batch holding `item` is written; rejects with the write's error. */
  add(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("batching sink is closed"));
    const done = new Promise<void>((resolve, reject) => this.#input.next({ item, resolve, reject }));
    // Writes are serial and in order, so the last item's promise settling means every earlier one has.
    this.#last = done.catch(() => {});
    return done;
  }

  /** Writes the current partial batch now and resolves when everything added so far is written. */
  flush(): Promise<void> {
    this.#flush.next();
    return this.#last;
  }

  /** Flushes, then refuses new items. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    this.#sub.unsubscribe();
  }
}

export interface GroupSinkOptions<T> {
  readonly name: string;
  /** Most items per write. */
  readonly maxItems: number;
  /** Writes running at once (1: one after the other). */
  readonly concurrency?: number;
  readonly write: (items: T[]) => Promise<void>;
  readonly onWrite?: BatchingSinkOptions<T>["onWrite"];
}

/**
 * Group commit for writes a caller must wait for before it goes on (e.g. a write-ahead
 * record): an item is written at once when fewer than `concurrency` writes are running,
 * and items that arrive while that many run go out together in the next. No timer: an idle
 * sink adds no latency, a busy one batches by itself. Same surface as BatchingSink (add,
 * flush, close).
 */
export class GroupSink<T> {
  readonly #opts: GroupSinkOptions<T>;
  readonly #concurrency: number;
  #queue: Pending<T>[] = [];
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(opts: GroupSinkOptions<T>) {
    this.#opts = opts;
    this.#concurrency = Math.max(1, opts.concurrency ?? 1);
  }

  add(item: T): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("group sink is closed"));
    const done = new Promise<void>((resolve, reject) => this.#queue.push({ item, resolve, reject }));
    this.#pump();
    return done;
  }

  #pump(): void {
    while (this.#running.size < this.#concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#opts.maxItems);
      const started = performance.now();
      const running: Promise<void> = this.#opts
        .write(batch.map((p) => p.item))
        .then(
          () => {
            this.#opts.onWrite?.({ name: this.#opts.name, size: batch.length, durationMs: performance.now() - started, ok: true });
            for (const p of batch) p.resolve();
          },
          (err: unknown) => {
            this.#opts.onWrite?.({ name: this.#opts.name, size: batch.length, durationMs: performance.now() - started, ok: false });
            for (const p of batch) p.reject(err);
          },
        )
        .finally(() => {
          this.#running.delete(running);
          this.#pump();
        });
      this.#running.add(running);
    }
  }

  /** Resolves once everything added so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }
}

/** Opens a transaction, runs `work` in it and commits (postgres.js: `(work) => sql.begin(work)`). */
export type Begin<Tx> = <R>(work: (tx: Tx) => Promise<R>) => Promise<R>;

/** Short transactions of concurrent handlers, committed together: see transactionGroup. */
export interface TransactionGroup<Tx> {
  /** Runs `work` in a transaction shared with others; resolves with its result once that transaction committed. */
  run<R>(work: (tx: Tx) => Promise<R>): Promise<R>;
}

export interface TransactionGroupOptions<Tx> {
  readonly name: string;
  /** Most units per transaction. */
  readonly maxItems: number;
  /** Transactions running at once. */
  readonly concurrency?: number;
  readonly begin: Begin<Tx>;
  /** An error that is no unit's own (e.g. the database is unreachable): not rerun unit by unit. */
  readonly unitless?: (err: unknown) => boolean;
}

type Job<Tx> = { readonly work: (tx: Tx) => Promise<unknown>; outcome?: { ok: true; value: unknown } | { ok: false; error: unknown } };

/**
 * Group commit for whole transactions: a GroupSink of units of work, each batch run in one
 * transaction, so the handlers' decisions that arrive while one batch commits share the next
 * commit (on the primary one WAL flush, and one wait for the synchronous standby, instead
 * of one each). Alone, a unit runs at once in its own transaction: no timer, no added latency.
 * A batch that fails (one unit's error, a deadlock) is run again one transaction per unit,
 * so a unit's error reaches only its own caller; unless `unitless` says the error is no
 * unit's (the database is away): then every unit fails with it at once, rather than one
 * after another. A unit must therefore only run SQL on `tx`: it may run twice (once in the
 * batch rolled back, once alone); what follows its commit (waking the relay, logging)
 * belongs to its caller, after `run` resolves.
 */
export function transactionGroup<Tx>(
  opts: TransactionGroupOptions<Tx>,
  sinkOf: (o: Omit<GroupSinkOptions<Job<Tx>>, "onWrite">) => Pick<GroupSink<Job<Tx>>, "add"> = (o) => new GroupSink(o),
): TransactionGroup<Tx> {
  const runAll = (jobs: Job<Tx>[]) =>
    opts.begin(async (tx) => {
      const values: unknown[] = [];
      for (const j of jobs) values.push(await j.work(tx));
      return values;
    });
  const sink = sinkOf({
    name: opts.name,
    maxItems: opts.maxItems,
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    write: async (jobs) => {
      if (jobs.length === 1) {
        // Alone: its error is the write's, and rejects its caller's add.
        const [value] = await runAll(jobs);
        jobs[0]!.outcome = { ok: true, value };
        return;
      }
      try {
        const values = await runAll(jobs);
        jobs.forEach((j, i) => (j.outcome = { ok: true, value: values[i] }));
      } catch (err) {
        if (opts.unitless?.(err)) throw err;
        for (const j of jobs) {
          try {
            const [value] = await runAll([j]);
            j.outcome = { ok: true, value };
          } catch (error) {
            j.outcome = { ok: false, error };
          }
        }
      }
    },
  });
  return {
    async run<R>(work: (tx: Tx) => Promise<R>): Promise<R> {
      const job: Job<Tx> = { work };
      await sink.add(job);
      if (!job.outcome!.ok) throw job.outcome!.error;
      return job.outcome!.value as R;
    },
  };
}
