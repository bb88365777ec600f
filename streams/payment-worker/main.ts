/**
 * Payment worker process (Node 24): `node streams/payment-worker/main.ts`.
 * Talks to the Stripe-compatible simulator when STRIPE_API_BASE is set, to
 * Stripe itself otherwise (then STRIPE_SECRET_KEY must be a real sk_test_ key).
 */
import { MongoClient } from "mongodb";
import { Counter } from "prom-client";
import { ConfigError, loadStackEnv } from "../../shared/config.ts";
import { createDb } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { createOutboxNotifier } from "../../shared/db/outbox.ts";
import { createLogger } from "../../shared/logger.ts";
import { Topics } from "../../shared/topics.ts";
import { defaultRetryPolicy, runWorker } from "../engine/index.ts";
import { kafkaConnect } from "../kafka/runtime.ts";
import { auditCollection, auditWriter, completionWriter } from "./audit.ts";
import { createGateway } from "./gateway.ts";
import { paymentWorker } from "./worker.ts";

const env = loadStackEnv();
const name = process.env.SERVICE_NAME ?? "payment-worker";
const log = createLogger(name);
const secretKey = process.env.STRIPE_SECRET_KEY ?? "sk_test_simulator";
const apiBase = process.env.STRIPE_API_BASE || undefined;
if (!apiBase && !/^sk_test_/.test(secretKey)) throw new ConfigError("STRIPE_SECRET_KEY must be an sk_test_ key when STRIPE_API_BASE (the simulator) is not set");

const sql = createDb({ url: env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 20), applicationName: name });
await migrate(sql);
const mongo = new MongoClient(env.MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
const audit = await auditCollection(mongo.db());

// Registered with the worker's registry once it exists (below).
const decisions = new Counter({ name: "payment_decisions_total", help: "Gateway outcomes by kind", labelNames: ["outcome"], registers: [] });
const running = await runWorker(
  paymentWorker({
    sql,
    gateway: createGateway({ secretKey, ...(apiBase ? { apiBase } : {}), timeoutMs: Number(process.env.STRIPE_TIMEOUT_MS ?? 10_000) }),
    writeAudit: auditWriter(audit, (err, attempt) => log.warn({ err, attempt }, "audit store write failed; retrying")),
    completeAudit: completionWriter(audit, (err, attempt) => log.warn({ err, attempt }, "audit store write failed; retrying")),
    // Stripe's search trails its writes by up to about a minute; the simulator's does not.
    searchLagMs: Number(process.env.GATEWAY_SEARCH_LAG_MS ?? 120_000),
    notifyOutbox: createOutboxNotifier(sql, Topics.paymentsResults, (err) => log.warn({ err: String(err) }, "outbox notify failed")),
    log,
    onDecision: (kind) => decisions.inc({ outcome: kind }),
  }),
  {
    connect: kafkaConnect({ brokers: env.KAFKA_BROKERS, clientId: name, partitions: env.KAFKA_PARTITIONS, extraTopics: [Topics.paymentsResults] }),
    metricsPort: Number(process.env.METRICS_PORT ?? 9471),
    // Another group re-reads the topics from the start (auto.offset.reset=earliest): a final payment is not charged again.
    ...(process.env.CONSUMER_GROUP ? { groupId: process.env.CONSUMER_GROUP } : {}),
    engine: {
      concurrency: Number(process.env.WORKER_CONCURRENCY ?? 128),
      // 1 s, 10 s, then up to four tries 60 s apart: about four minutes of a flaky gateway
      // (30 % of calls failing leaves 0.3^7 ≈ 2 in 10,000 payments for an operator).
      retry: { ...defaultRetryPolicy, attemptsOnLastTier: Number(process.env.RETRY_LAST_TIER_ATTEMPTS ?? 4) },
    },
    log,
  },
);
running.registry.registerMetric(decisions);
log.info({ gateway: apiBase ?? "stripe", metricsPort: running.metrics.port }, "payment worker started");

running.done.then(
  async () => {
    await Promise.all([sql.end({ timeout: 5 }), mongo.close()]);
    process.exit(0);
  },
  async (err: unknown) => {
    log.error({ err: String(err) }, "payment worker failed");
    await Promise.all([sql.end({ timeout: 5 }), mongo.close()]).catch(() => {});
    process.exit(1);
  },
);
