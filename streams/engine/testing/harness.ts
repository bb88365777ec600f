/**
 * An engine on the fake broker and virtual time, for unit tests of the
 * engine and of workers' pipelines (any worker's tests may reuse it).
 */
import { RetryTiers, retryTopic } from "../../../shared/topics.ts";
import { StreamEngine, type EngineOptions } from "../engine.ts";
import type { EngineObserver, Flushable, Pipeline } from "../pipeline.ts";
import { FakeBroker, type FakeConsumer, type FakeProducer } from "./fake-broker.ts";
import { VirtualClock } from "./virtual-clock.ts";

export interface Harness<T> {
  readonly clock: VirtualClock;
  readonly broker: FakeBroker;
  readonly consumer: FakeConsumer;
  readonly producer: FakeProducer;
  readonly engine: StreamEngine<T>;
}

export interface HarnessOptions<T> {
  readonly source: string;
  readonly pipeline: Pipeline<T>;
  readonly partitions?: number;
  /** Engine options; the commit interval is 200 ms unless given (the scenarios' clock steps are written for it). */
  readonly options?: Partial<EngineOptions>;
  readonly observer?: EngineObserver;
  readonly flushables?: readonly Flushable[];
  readonly clock?: VirtualClock;
  /** Jitter source; 0 by default so due times are exact. */
  readonly random?: () => number;
}

export async function startHarness<T>(h: HarnessOptions<T>): Promise<Harness<T>> {
  const clock = h.clock ?? new VirtualClock();
  const broker = new FakeBroker({ partitions: h.partitions ?? 1, now: () => clock.now() });
  const tiers = h.options?.retry?.tiers ?? RetryTiers;
  const consumer = broker.consumer([h.source, ...tiers.map((t) => retryTopic(h.source, t.name))]);
  const producer = broker.producer();
  const engine = new StreamEngine<T>(
    h.pipeline,
    {
      consumer,
      producer,
      scheduler: clock.scheduler,
      random: h.random ?? (() => 0),
      ...(h.observer ? { observer: h.observer } : {}),
      ...(h.flushables ? { flushables: h.flushables } : {}),
    },
    { commitIntervalMs: 200, ...h.options },
  );
  await engine.start();
  await clock.advance(0);
  return { clock, broker, consumer, producer, engine };
}

/** A promise resolved after `ms` of virtual time. */
export const sleep = (clock: VirtualClock, ms: number): Promise<void> => new Promise((resolve) => clock.scheduler.schedule(() => resolve(), ms));

export interface Deferred<T = void> {
  readonly promise: Promise<T>;
  readonly resolve: (v: T) => void;
  readonly reject: (e: unknown) => void;
}

/** A promise plus its resolve/reject, for handlers a test finishes by hand. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A pipeline whose event is the record's value as a UTF-8 string. */
export const textPipeline = (handle: Pipeline<string>["handle"], classify?: Pipeline<string>["classify"]): Pipeline<string> => ({
  decode: (msg) => (msg.value === null ? "" : msg.value.toString("utf8")),
  handle,
  ...(classify ? { classify } : {}),
});
