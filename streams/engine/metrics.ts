/**
 * Prometheus metrics of a stream worker (prom-client).
 *
 * Counters are bumped through label-bound children cached per topic, because
 * resolving labels on every record is the expensive part of prom-client.
 * Gauges (in flight, commit lag, paused partitions) are read from the engine
 * at scrape time, so they cost nothing per record.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { BatchingSinkOptions } from "./batching.ts";
import type { EngineStats } from "./engine.ts";
import type { DropReason, EngineObserver } from "./pipeline.ts";
import type { OffsetCommit } from "./ports.ts";
import type { DeadLetterReason } from "./retry-policy.ts";

type Inc = { inc(n?: number): void };

function cached<K extends string>(make: (key: K) => Inc): (key: K) => Inc {
  const cache = new Map<K, Inc>();
  return (key) => {
    let child = cache.get(key);
    if (child === undefined) cache.set(key, (child = make(key)));
    return child;
  };
}

export interface StreamMetrics {
  readonly observer: EngineObserver;
  /** Pass as a BatchingSink's `onWrite`. */
  readonly onBatchWrite: NonNullable<BatchingSinkOptions<unknown>["onWrite"]>;
  /** Where scrape-time gauges read the engine from; set once the engine exists. */
  bind(stats: () => EngineStats): void;
}

export function createStreamMetrics(registry: Registry): StreamMetrics {
  let stats: (() => EngineStats) | null = null;
  const registers = [registry];
  const consumed = new Counter({ name: "stream_messages_consumed_total", help: "Records received from the broker", labelNames: ["topic"], registers });
  const handled = new Counter({ name: "stream_messages_handled_total", help: "Records handled successfully", labelNames: ["topic"], registers });
  const retried = new Counter({ name: "stream_messages_retried_total", help: "Records sent to a retry tier", labelNames: ["topic", "tier"], registers });
  const dead = new Counter({ name: "stream_messages_dead_lettered_total", help: "Records sent to the DLQ", labelNames: ["topic", "reason"], registers });
  const dropped = new Counter({
    name: "stream_messages_dropped_total",
    help: "Records or results discarded (late after revoke, unowned, duplicate)",
    labelNames: ["topic", "reason"],
    registers,
  });
  const commits = new Counter({ name: "stream_commits_total", help: "Offset commits accepted by the broker", registers });
  const batchSize = new Histogram({
    name: "stream_batch_size",
    help: "Items per bulk write",
    labelNames: ["sink"],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers,
  });
  const batchSeconds = new Histogram({ name: "stream_batch_write_seconds", help: "Bulk write duration", labelNames: ["sink", "ok"], registers });
  const gauge = (name: string, help: string, read: (s: EngineStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        if (stats !== null) this.set(read(stats()));
      },
    });
  gauge("stream_messages_in_flight", "Handlers running now", (s) => s.inFlight);
  gauge("stream_messages_buffered", "Records queued for a key or a slot, or held for their due time", (s) => s.queued + s.held);
  gauge("stream_messages_unfinished", "Records dispatched and not yet finished (incl. awaiting a batch or a retry produce)", (s) => s.active);
  gauge("stream_partitions_paused", "Partitions paused (backpressure or retry not yet due)", (s) => s.pausedPartitions);
  new Gauge({
    name: "stream_commit_lag",
    help: "Records received but not yet committed, per partition",
    labelNames: ["topic", "partition"],
    registers,
    collect() {
      if (stats === null) return;
      this.reset();
      for (const p of stats().partitions) this.set({ topic: p.topic, partition: String(p.partition) }, p.lag);
    },
  });

  const byTopic = (c: Counter<string>) => cached<string>((topic) => c.labels(topic));
  const consumedOf = byTopic(consumed);
  const handledOf = byTopic(handled);
  const retriedOf = cached<string>((k) => retried.labels(...(k.split("\u0000") as [string, string])));
  const deadOf = cached<string>((k) => dead.labels(...(k.split("\u0000") as [string, string])));
  const droppedOf = cached<string>((k) => dropped.labels(...(k.split("\u0000") as [string, string])));

  const observer: EngineObserver = {
    consumed: (topic) => consumedOf(topic).inc(),
    handled: (topic) => handledOf(topic).inc(),
    retried: (topic, tier) => retriedOf(`${topic}\u0000${tier}`).inc(),
    deadLettered: (topic, reason: DeadLetterReason) => deadOf(`${topic}\u0000${reason}`).inc(),
    dropped: (topic, reason: DropReason) => droppedOf(`${topic}\u0000${reason}`).inc(),
    committed: (_offsets: readonly OffsetCommit[]) => commits.inc(),
  };
  return {
    observer,
    onBatchWrite: ({ name, size, durationMs, ok }) => {
      batchSize.observe({ sink: name }, size);
      batchSeconds.observe({ sink: name, ok: String(ok) }, durationMs / 1000);
    },
    bind: (read) => {
      stats = read;
    },
  };
}
