/**
 * The one lifecycle every stream worker runs: a worker declares its
 * source topic, decode, handler and error classification; `runWorker` wires the
 * broker ports, the engine, batching sinks, metrics and signals.
 *
 * Start: metrics server → connect ports → engine (subscribes source + its retry tiers).
 * SIGTERM/SIGINT: engine.stop() (stop fetching, drain, flush sinks, commit,
 * disconnect) → metrics server closed → exit code 0, or 1 if the engine failed.
 */
import { Registry } from "prom-client";
import { retryTopic } from "../../shared/topics.ts";
import {
  BatchingSink,
  GroupSink,
  transactionGroup,
  type BatchingSinkOptions,
  type GroupSinkOptions,
  type TransactionGroup,
  type TransactionGroupOptions,
} from "./batching.ts";
import { StreamEngine, defaultEngineOptions, type EngineOptions } from "./engine.ts";
import type { Verdict } from "./errors.ts";
import { startMetricsServer, type MetricsServer } from "./metrics-server.ts";
import { createStreamMetrics } from "./metrics.ts";
import { silentLog, type EngineLog, type HandlerContext } from "./pipeline.ts";
import type { ConsumerPort, InboundMessage, ProducerPort } from "./ports.ts";
import type { SchedulerLike } from "rxjs";

export interface WorkerSpec<T> {
  /** Service name: default consumer group, metrics label. */
  readonly name: string;
  readonly sourceTopic: string;
  readonly decode: (msg: InboundMessage) => T;
  readonly handle: (event: T, ctx: HandlerContext) => Promise<void>;
  readonly classify?: (err: unknown) => Verdict | undefined;
}

/** What the lifecycle hands a worker while it is being built. */
export interface WorkerTools {
  /** A batching sink wired to the worker's metrics and flushed at shutdown. */
  sink<I>(opts: Omit<BatchingSinkOptions<I>, "scheduler" | "onWrite">): BatchingSink<I>;
  /** A group-commit sink (no timer: written at once when idle), for writes a handler waits on. */
  groupSink<I>(opts: Omit<GroupSinkOptions<I>, "onWrite">): GroupSink<I>;
  /** Short transactions committed together (transactionGroup), on a group sink of this worker's. */
  transactionGroup<Tx>(opts: TransactionGroupOptions<Tx>): TransactionGroup<Tx>;
  readonly log: EngineLog;
}

export type WorkerDefinition<T> = WorkerSpec<T> | ((tools: WorkerTools) => WorkerSpec<T>);

/** Identity, for type inference at the declaration site. */
export const defineWorker = <T>(def: WorkerDefinition<T>): WorkerDefinition<T> => def;

export interface Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
}

export interface WorkerRuntime {
  /** Builds the broker ports (the Kafka adapter in production, the fake broker in tests). */
  readonly connect: (sub: Subscription) => Promise<{ consumer: ConsumerPort; producer: ProducerPort }>;
  /** Port of the /metrics endpoint; 0 picks a free one. */
  readonly metricsPort: number;
  readonly groupId?: string;
  readonly engine?: Partial<EngineOptions>;
  readonly log?: EngineLog;
  readonly registry?: Registry;
  readonly scheduler?: SchedulerLike;
  /** Signals that trigger a graceful stop; [] in tests. */
  readonly signals?: readonly NodeJS.Signals[];
}

export interface RunningWorker {
  readonly name: string;
  readonly engine: StreamEngine<unknown>;
  readonly metrics: MetricsServer;
  readonly registry: Registry;
  /** Graceful stop; resolves when everything is closed. */
  stop(): Promise<void>;
  /** Settles when the worker stopped: rejects if the engine failed. */
  readonly done: Promise<void>;
}

export async function runWorker<T>(def: WorkerDefinition<T>, rt: WorkerRuntime): Promise<RunningWorker> {
  const log = rt.log ?? silentLog;
  const registry = rt.registry ?? new Registry();
  const metrics = createStreamMetrics(registry);
  const sinks: { flush(): Promise<void>; close(): Promise<void> }[] = [];
  const tools: WorkerTools = {
    log,
    sink: <I>(opts: Omit<BatchingSinkOptions<I>, "scheduler" | "onWrite">) => {
      const s = new BatchingSink<I>({ ...opts, onWrite: metrics.onBatchWrite, ...(rt.scheduler ? { scheduler: rt.scheduler } : {}) });
      sinks.push(s);
      return s;
    },
    groupSink: <I>(opts: Omit<GroupSinkOptions<I>, "onWrite">) => {
      const s = new GroupSink<I>({ ...opts, onWrite: metrics.onBatchWrite });
      sinks.push(s);
      return s;
    },
    transactionGroup: <Tx>(opts: TransactionGroupOptions<Tx>) => transactionGroup(opts, (o) => tools.groupSink(o)),
  };
  const spec = typeof def === "function" ? def(tools) : def;
  registry.setDefaultLabels({ service: spec.name });
  const engineOpts = { ...defaultEngineOptions, ...rt.engine };
  const topics = [spec.sourceTopic, ...engineOpts.retry.tiers.map((t) => retryTopic(spec.sourceTopic, t.name))];

  const server = await startMetricsServer(registry, rt.metricsPort);
  let ports: { consumer: ConsumerPort; producer: ProducerPort };
  try {
    ports = await rt.connect({ groupId: rt.groupId ?? spec.name, topics });
  } catch (err) {
    await server.close();
    throw err;
  }
  const engine = new StreamEngine<T>(
    { decode: spec.decode, handle: spec.handle, ...(spec.classify ? { classify: spec.classify } : {}) },
    { ...ports, observer: metrics.observer, log, flushables: sinks, ...(rt.scheduler ? { scheduler: rt.scheduler } : {}) },
    engineOpts,
  );
  metrics.bind(() => engine.stats());

  const signals = rt.signals ?? (["SIGTERM", "SIGINT"] as const);
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await engine.stop();
      await Promise.all(sinks.map((s) => s.close().catch(() => {})));
      await server.close();
      for (const sig of signals) process.off(sig, onSignal);
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    log.info({ signal: sig }, "graceful shutdown");
    void stop();
  };
  for (const sig of signals) process.once(sig, onSignal);

  // The engine settles `done` whether it was stopped or failed on its own; the rest of the worker follows it down.
  const done = engine.done.then(
    () => stop(),
    (err: unknown) => {
      process.exitCode = 1;
      return stop().then(() => Promise.reject(err));
    },
  );
  done.catch(() => {});

  try {
    await engine.start();
  } catch (err) {
    await stop();
    throw err;
  }
  log.info({ topics, metricsPort: server.port }, `${spec.name} started`);
  return { name: spec.name, engine: engine as StreamEngine<unknown>, metrics: server, registry, stop, done };
}
