/**
 * Payment worker process (Node 24): `node streams/payment-worker/main.ts`.
 * Its connectors (shared/connectors/registry.ts): Stripe at STRIPE_API_BASE (the simulator;
 * the stack always sets it), or Stripe itself when it is unset or empty (then
 * STRIPE_SECRET_KEY must be an sk_test_ key); Adyen when ADYEN_API_BASE or ADYEN_API_KEY
 * is given. Each payment goes where its merchant's routing rules say. Settings: ./config.ts.
 */
import { MongoClient } from "mongodb";
import { Counter } from "prom-client";
import { loadStackEnv } from "../../shared/config.ts";
import { createDb } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { createOutboxNotifier } from "../../shared/db/outbox.ts";
import { configOrExit } from "../../shared/env.ts";
import { createLogger } from "../../shared/logger.ts";
import { Topics } from "../../shared/topics.ts";
import { defaultRetryPolicy, runWorker } from "../engine/index.ts";
import { kafkaConnect } from "../kafka/runtime.ts";
import { auditCollections, auditWriter } from "../../shared/connectors/audit.ts";
import { createBreakers, createCircuitStateGauge } from "../../shared/connectors/breaker.ts";
import { loadConnectors } from "../../shared/connectors/registry.ts";
import { loadPaymentWorkerConfig } from "./config.ts";
import { rulesRouteFor } from "./route.ts";
import { paymentWorker } from "./worker.ts";

const { env, cfg, connectors } = configOrExit("payment-worker", () => ({ env: loadStackEnv(), cfg: loadPaymentWorkerConfig(), connectors: loadConnectors() }));
const name = cfg.serviceName;
const log = createLogger(name, cfg.logLevel);

const sql = createDb({ url: env.DATABASE_URL, max: cfg.dbPoolMax, applicationName: name });
await migrate(sql);
const mongo = new MongoClient(env.MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
const audit = await auditCollections(mongo.db());

// Registered with the worker's registry once it exists (below).
const decisions = new Counter({
  name: "payment_decisions_total",
  help: "Gateway outcomes by kind and connector",
  labelNames: ["outcome", "connector"],
  registers: [],
});
const breakers = createBreakers({
  ...cfg.breaker,
  onChange: (connector, to, from) => log[to === "open" ? "warn" : "info"]({ connector, from, to }, `circuit ${to}`),
});
const running = await runWorker(
  paymentWorker({
    sql,
    connectors: connectors.byName,
    routeFor: rulesRouteFor({ sql, defaults: connectors.defaults, ttlMs: cfg.routingCacheMs }),
    health: breakers,
    writeAudit: auditWriter(audit, (err, attempt) => log.warn({ err, attempt }, "audit store write failed; retrying")),
    // Stripe's search trails its writes by up to about a minute; the simulator's does not.
    searchLagMs: cfg.searchLagMs,
    notifyOutbox: createOutboxNotifier(sql, Topics.paymentsResults, (err) => log.warn({ err: String(err) }, "outbox notify failed")),
    log,
    onDecision: (kind, connector) => decisions.inc({ outcome: kind, connector }),
  }),
  {
    connect: kafkaConnect({ brokers: env.KAFKA_BROKERS, clientId: name, partitions: env.KAFKA_PARTITIONS, extraTopics: [Topics.paymentsResults] }),
    metricsPort: cfg.metricsPort,
    // Another group re-reads the topics from the start (auto.offset.reset=earliest): a final payment is not charged again.
    ...(cfg.consumerGroup ? { groupId: cfg.consumerGroup } : {}),
    engine: {
      concurrency: cfg.concurrency,
      // 1 s, 10 s, then up to four tries 60 s apart: about four minutes of a flaky gateway
      // (30 % of calls failing leaves 0.3^7 ≈ 2 in 10,000 payments for an operator).
      retry: { ...defaultRetryPolicy, attemptsOnLastTier: cfg.retryLastTierAttempts },
    },
    log,
  },
);
running.registry.registerMetric(decisions);
createCircuitStateGauge(running.registry, breakers);
log.info({ connectors: connectors.describe, routingDefault: connectors.defaults, metricsPort: running.metrics.port }, "payment worker started");

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
