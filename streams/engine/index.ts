/**
 * Public surface of the stream engine. Workers import from here; the Kafka
 * adapter imports only `ports.ts`.
 */
export type { AssignmentEvent, ConsumerPort, InboundMessage, OffsetCommit, OutboundRecord, ProducerPort, TopicPartition } from "./ports.ts";
export { FatalError, PoisonError, RetryableError, defaultClassify, type Verdict } from "./errors.ts";
export type { EngineLog, EngineObserver, Flushable, HandlerContext, Pipeline } from "./pipeline.ts";
export { StreamEngine, defaultEngineOptions, type EngineDeps, type EngineOptions, type EngineStats } from "./engine.ts";
export { defaultRetryPolicy, exponentialTiers, type RetryPolicy } from "./retry-policy.ts";
export {
  BatchingSink,
  GroupSink,
  bufferTimeOrCount,
  transactionGroup,
  type Begin,
  type BatchingSinkOptions,
  type GroupSinkOptions,
  type TransactionGroup,
  type TransactionGroupOptions,
} from "./batching.ts";
export { keyOrdered } from "./key-ordered.ts";
export { jsonDecoder } from "./decode.ts";
export { createStreamMetrics, type StreamMetrics } from "./metrics.ts";
export { startMetricsServer, type MetricsServer } from "./metrics-server.ts";
export { defineWorker, runWorker, type RunningWorker, type WorkerDefinition, type WorkerRuntime, type WorkerSpec, type WorkerTools } from "./worker.ts";
