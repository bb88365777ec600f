/**
 * Command worker process (Node 24): `node streams/command-worker/main.ts`. Carries out the
 * captures, cancels and refunds on payments.commands, sweeps held payments past their
 * capture_before into cancel commands, and runs the status sync (shared/payments/sync.ts),
 * which hands payments and commands left non-final back to their workers. Settings: ./config.ts.
 */
import { MongoClient } from "mongodb";
import { Counter } from "prom-client";
import { loadStackEnv } from "../../shared/config.ts";
import { createDb } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { createOutboxNotifier } from "../../shared/db/outbox.ts";
import { configOrExit } from "../../shared/env.ts";
import { createLogger } from "../../shared/logger.ts";
import { expireAuthorizations } from "../../shared/payments/capture.ts";
import { syncStale } from "../../shared/payments/sync.ts";
import { Topics } from "../../shared/topics.ts";
import { auditCollections, auditWriter } from "../../shared/connectors/audit.ts";
import { loadConnectors } from "../../shared/connectors/registry.ts";
import { defaultRetryPolicy, runWorker } from "../engine/index.ts";
import { kafkaConnect } from "../kafka/runtime.ts";
import { loadCommandWorkerConfig } from "./config.ts";
import { commandWorker } from "./worker.ts";

const { env, cfg, connectors } = configOrExit("command-worker", () => ({ env: loadStackEnv(), cfg: loadCommandWorkerConfig(), connectors: loadConnectors() }));
const log = createLogger(cfg.serviceName, cfg.logLevel);

const sql = createDb({ url: env.DATABASE_URL, max: cfg.dbPoolMax, applicationName: cfg.serviceName });
await migrate(sql);
const mongo = new MongoClient(env.MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
const audit = await auditCollections(mongo.db());

const outcomes = new Counter({
  name: "payment_commands_total",
  help: "Commands carried out, by kind and gateway outcome",
  labelNames: ["kind", "outcome"],
  registers: [],
});
const expired = new Counter({ name: "payment_authorizations_expired_total", help: "Held payments past capture_before given a cancel command", registers: [] });
const synced = new Counter({
  name: "status_sync_handed_back_total",
  help: "Stale payments and commands handed back to their worker by the status sync, by kind",
  labelNames: ["kind"],
  registers: [],
});
const running = await runWorker(
  commandWorker({
    sql,
    connectors: connectors.byName,
    writeAudit: auditWriter(audit, (err, attempt) => log.warn({ err, attempt }, "audit store write failed; retrying")),
    notifyOutbox: createOutboxNotifier(sql, Topics.paymentsResults, (err) => log.warn({ err }, "outbox notify failed")),
    log,
    onOutcome: (kind, outcome) => outcomes.inc({ kind, outcome }),
  }),
  {
    connect: kafkaConnect({ brokers: env.KAFKA_BROKERS, clientId: cfg.serviceName, partitions: env.KAFKA_PARTITIONS, extraTopics: [Topics.paymentsResults] }),
    metricsPort: cfg.metricsPort,
    engine: { concurrency: cfg.concurrency, retry: { ...defaultRetryPolicy, attemptsOnLastTier: cfg.retryLastTierAttempts } },
    log,
  },
);
running.registry.registerMetric(outcomes);
running.registry.registerMetric(expired);
running.registry.registerMetric(synced);

// The sweep writes cancel commands through the outbox like the API does; several workers may sweep (SKIP LOCKED).
const wakeRelay = createOutboxNotifier(sql, Topics.paymentsCommands, (err) => log.warn({ err }, "outbox notify failed"));
const sweep = setInterval(() => {
  expireAuthorizations(sql)
    .then((n) => {
      if (n === 0) return;
      expired.inc(n);
      wakeRelay();
      log.info({ expired: n }, "held payments past capture_before: cancel commands written");
    })
    .catch((err: unknown) => log.warn({ err }, "expiry sweep failed; next interval"));
}, cfg.expirySweepMs);
const wakePayments = createOutboxNotifier(sql, Topics.paymentsCreated, (err) => log.warn({ err }, "outbox notify failed"));
const sync = setInterval(() => {
  syncStale(sql, { ...cfg.sync, limit: 200 })
    .then(({ payments, commands }) => {
      if (payments + commands === 0) return;
      synced.inc({ kind: "payment" }, payments);
      synced.inc({ kind: "command" }, commands);
      if (payments > 0) wakePayments();
      if (commands > 0) wakeRelay();
      log.warn({ payments, commands }, "status sync: stale payments and commands handed back to their workers, which ask the connector first");
    })
    .catch((err: unknown) => log.warn({ err }, "status sync failed; next interval"));
}, cfg.sync.intervalMs);
log.info({ connectors: connectors.describe, metricsPort: running.metrics.port, expirySweepMs: cfg.expirySweepMs }, "command worker started");

running.done.then(
  async () => {
    clearInterval(sweep);
    clearInterval(sync);
    await Promise.all([sql.end({ timeout: 5 }), mongo.close()]);
    process.exit(0);
  },
  async (err: unknown) => {
    clearInterval(sweep);
    clearInterval(sync);
    log.error({ err }, "command worker failed");
    await Promise.all([sql.end({ timeout: 5 }), mongo.close()]).catch(() => {});
    process.exit(1);
  },
);
