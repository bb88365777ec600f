/**
 * Outbox relay process (Node 24): `node streams/outbox-relay/main.ts`.
 * Any number may run at once; SKIP LOCKED keeps their batches disjoint.
 * Settings: ./config.ts (RELAY_BATCH_SIZE, RELAY_POLL_MS, OUTBOX_KEEP_MINUTES, METRICS_PORT, …).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { loadStackEnv, redactUrl } from "../../shared/config.ts";
import { createDb } from "../../shared/db/client.ts";
import { configOrExit } from "../../shared/env.ts";
import { createLogger } from "../../shared/logger.ts";
import { topicCatalogue } from "../../shared/topics.ts";
import { startMetricsServer } from "../engine/metrics-server.ts";
import { ensureTopics } from "../kafka/admin.ts";
import { createKafkaProducer } from "../kafka/producer.ts";
import { loadRelayConfig } from "./config.ts";
import { startRelayLoop } from "./loop.ts";
import { outboxBacklog, pruneOutbox } from "./relay.ts";

const { env, cfg } = configOrExit("outbox-relay", () => ({ env: loadStackEnv(), cfg: loadRelayConfig() }));
const name = cfg.serviceName;
const log = createLogger(name, cfg.logLevel);
const { batchSize, pollMs, keepMinutes } = cfg;

const sql = createDb({ url: env.DATABASE_URL, max: 2, applicationName: name });
const listenSql = createDb({ url: env.DATABASE_URL, max: 1, applicationName: `${name}-listen` });

const registry = new Registry();
registry.setDefaultLabels({ service: name });
collectDefaultMetrics({ register: registry });
const published = new Counter({ name: "outbox_published_total", help: "Outbox rows published to Kafka", registers: [registry] });
const failures = new Counter({
  name: "outbox_relay_failures_total",
  help: "Relay batches that failed and will be retried (broker or database unavailable)",
  registers: [registry],
});
const quarantined = new Counter({
  name: "outbox_quarantined_total",
  help: "Outbox rows the producer refused for good, stored as dead letters instead",
  labelNames: ["topic"],
  registers: [registry],
});
const batchSizes = new Histogram({
  name: "outbox_batch_size",
  help: "Rows per relayed batch",
  buckets: [1, 5, 10, 50, 100, 250, 500, 1000],
  registers: [registry],
});
const delay = new Histogram({
  name: "outbox_publish_delay_seconds",
  help: "Age of the oldest row of each batch when it was published (commit to broker ack)",
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
  registers: [registry],
});
new Gauge({
  name: "outbox_backlog",
  help: "Outbox rows not yet published",
  registers: [registry],
  async collect() {
    this.set(await outboxBacklog(sql).catch(() => -1));
  },
});

await ensureTopics(
  env.KAFKA_BROKERS,
  topicCatalogue().map((t) => ({ name: t, partitions: env.KAFKA_PARTITIONS })),
);
const producer = await createKafkaProducer({
  brokers: env.KAFKA_BROKERS,
  clientId: name,
  // A row for a topic that does not exist is refused (and quarantined) after this, instead
  // of librdkafka's default 30 s; the relay creates every topic it knows at start.
  extra: { "topic.metadata.propagation.max.ms": 2_000 },
});
const metrics = await startMetricsServer(registry, cfg.metricsPort, cfg.metricsHost);

const loop = await startRelayLoop({
  sql,
  listenSql,
  producer,
  batchSize,
  pollMs,
  onBatch: (rows, oldest) => {
    published.inc(rows);
    batchSizes.observe(rows);
    if (oldest) delay.observe((Date.now() - oldest.getTime()) / 1000);
  },
  onQuarantined: (row, err) => {
    quarantined.inc({ topic: row.topic.slice(0, 100) });
    log.error({ outboxId: row.id, topic: row.topic, err }, "outbox row refused by the producer; quarantined as a dead letter");
  },
  onError: (err) => {
    failures.inc();
    log.warn({ err }, "relay batch failed; will retry");
  },
});
const prune = setInterval(() => {
  pruneOutbox(sql, keepMinutes).catch((err: unknown) => log.warn({ err: String(err) }, "outbox prune failed"));
}, 60_000);
log.info({ db: redactUrl(env.DATABASE_URL), brokers: env.KAFKA_BROKERS, batchSize, pollMs, metricsPort: metrics.port }, "outbox relay started");

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "graceful shutdown");
  clearInterval(prune);
  await loop.stop();
  await producer.disconnect();
  await Promise.all([sql.end({ timeout: 5 }), listenSql.end({ timeout: 5 }), metrics.close()]);
  process.exit(0);
};
process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));
