/**
 * DLQ consumer process (Node 24): `node streams/dlq-consumer/main.ts`.
 * Env: DATABASE_URL, KAFKA_BROKERS, SMTP_URL (shared/config.ts), METRICS_PORT (9473),
 * OPS_ALERT_EMAIL (ops@payments.local), ALERT_FROM, ALERT_INTERVAL_MS (60000),
 * DLQ_TOPICS (comma-separated; default every `<topic>.dlq` of the topic catalogue), GROUP_ID.
 */
import { Registry, collectDefaultMetrics } from "prom-client";
import { loadStackEnv, redactUrl } from "../../shared/config.ts";
import { createDb } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { deadLetterStore } from "../../shared/dead-letters/store.ts";
import { configOrExit } from "../../shared/env.ts";
import { createLogger } from "../../shared/logger.ts";
import { runWorker } from "../engine/index.ts";
import { ensureTopics } from "../kafka/admin.ts";
import { createKafkaConsumer } from "../kafka/consumer.ts";
import { createMailTransport } from "../notification-worker/smtp.ts";
import { createAlerter } from "./alerts.ts";
import { loadDlqConfig } from "./config.ts";
import { createDlqMetrics } from "./metrics.ts";
import { dlqWorker, refusingProducer } from "./worker.ts";

const { env, cfg } = configOrExit("dlq-consumer", () => ({ env: loadStackEnv(), cfg: loadDlqConfig() }));
const log = createLogger("dlq-consumer", cfg.logLevel);

const sql = createDb({ url: env.DATABASE_URL, max: 4, applicationName: "dlq-consumer" });
await migrate(sql);
const store = deadLetterStore(sql);
const transport = createMailTransport(env.SMTP_URL, { maxConnections: 1, timeouts: { connectMs: 5_000, socketMs: 15_000 } });
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const metrics = createDlqMetrics(registry);
const alerter = createAlerter({
  store,
  send: (mail) => transport.sendMail(mail),
  to: cfg.alertTo,
  from: cfg.alertFrom,
  intervalMs: cfg.alertIntervalMs,
  metrics,
  log,
});

const running = await runWorker(dlqWorker({ store, metrics, log, onNew: () => alerter.notify(), sourceTopic: cfg.topics[0] as string }), {
  // One group over every DLQ topic; no retry tiers (a dead letter is never retried by the engine).
  connect: async (sub) => {
    await ensureTopics(
      env.KAFKA_BROKERS,
      cfg.topics.map((name) => ({ name, partitions: env.KAFKA_PARTITIONS })),
    );
    const consumer = createKafkaConsumer({ brokers: env.KAFKA_BROKERS, groupId: sub.groupId, topics: cfg.topics, clientId: `dlq-consumer-${process.pid}` });
    return { consumer, producer: refusingProducer };
  },
  metricsPort: cfg.metricsPort,
  groupId: cfg.groupId,
  registry,
  log,
  engine: { concurrency: 8, retry: { tiers: [], attemptsOnLastTier: 1, jitter: 0 } },
});
alerter.notify(); // dead letters stored before a restart but never alerted
// Not every dead letter arrives through a DLQ topic: the outbox relay stores the rows it
// quarantines itself. A sweep each interval mails whatever is still unalerted.
const sweep = setInterval(() => alerter.notify(), cfg.alertIntervalMs);
sweep.unref();
log.info(
  { db: redactUrl(env.DATABASE_URL), topics: cfg.topics, alertTo: cfg.alertTo, intervalMs: cfg.alertIntervalMs, metricsPort: running.metrics.port },
  "dlq consumer ready",
);

let exitCode = 0;
await running.done.catch((err: unknown) => {
  log.error({ err: String(err) }, "dlq consumer failed");
  exitCode = 1;
});
clearInterval(sweep);
await alerter.stop();
transport.close();
await sql.end({ timeout: 5 });
process.exit(exitCode);
