/**
 * Notification worker process (Node 24): `node streams/notification-worker/main.ts`.
 * Env: DATABASE_URL, KAFKA_BROKERS, SMTP_URL (shared/config.ts), METRICS_PORT (9472),
 * MAIL_FROM, MESSAGE_ID_DOMAIN, CONCURRENCY, SMTP_POOL_SIZE, SMTP_*_TIMEOUT_MS,
 * NOTIFICATIONS_KEEP_HOURS, LOG_LEVEL.
 */
import { Registry, collectDefaultMetrics } from "prom-client";
import { loadStackEnv, redactUrl } from "../../shared/config.ts";
import { createDb } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { configOrExit } from "../../shared/env.ts";
import { createLogger } from "../../shared/logger.ts";
import { runWorker } from "../engine/index.ts";
import { kafkaConnect } from "../kafka/runtime.ts";
import { loadNotificationConfig } from "./config.ts";
import { createNotificationMetrics } from "./metrics.ts";
import { loadTemplates } from "./render.ts";
import { createMailTransport } from "./smtp.ts";
import { notificationStore } from "./store.ts";
import { notificationWorker } from "./worker.ts";

const PURGE_EVERY_MS = 10 * 60_000;

const { env, cfg } = configOrExit("notification-worker", () => ({ env: loadStackEnv(), cfg: loadNotificationConfig() }));
const log = createLogger("notification-worker", cfg.logLevel);

const sql = createDb({ url: env.DATABASE_URL, max: Math.min(cfg.concurrency + 2, 20), applicationName: "notification-worker" });
await migrate(sql);
const transport = createMailTransport(env.SMTP_URL, {
  maxConnections: cfg.smtpPoolSize,
  timeouts: { connectMs: cfg.smtpConnectTimeoutMs, socketMs: cfg.smtpSocketTimeoutMs },
});
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const store = notificationStore(sql);
const running = await runWorker(
  notificationWorker({
    store,
    send: (mail) => transport.sendMail(mail),
    templates: loadTemplates(),
    metrics: createNotificationMetrics(registry),
    log,
    from: cfg.from,
    messageIdDomain: cfg.messageIdDomain,
    sourceTopic: cfg.sourceTopic,
  }),
  {
    connect: kafkaConnect({ brokers: env.KAFKA_BROKERS, clientId: `notification-worker-${process.pid}`, partitions: env.KAFKA_PARTITIONS }),
    metricsPort: cfg.metricsPort,
    groupId: cfg.groupId,
    registry,
    log,
    engine: { concurrency: cfg.concurrency, commitIntervalMs: cfg.commitIntervalMs },
  },
);
log.info(
  { db: redactUrl(env.DATABASE_URL), smtp: redactUrl(env.SMTP_URL), topic: cfg.sourceTopic, metricsPort: running.metrics.port },
  "notification worker ready",
);

// Sent claims older than their window go, a small batch at a time; every instance shares the work.
const purge = setInterval(() => {
  store
    .purgeSent(cfg.keepSentHours)
    .then((n) => n > 0 && log.info({ purged: n }, "sent notification claims purged"))
    .catch((err: unknown) => log.warn({ err: String(err) }, "notification purge failed"));
}, PURGE_EVERY_MS);
purge.unref();

let exitCode = 0;
await running.done.catch((err: unknown) => {
  log.error({ err }, "notification worker failed");
  exitCode = 1;
});
clearInterval(purge);
transport.close();
await sql.end({ timeout: 5 });
process.exit(exitCode);
