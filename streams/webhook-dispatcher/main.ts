/**
 * Webhook dispatcher process (Node 24): `node streams/webhook-dispatcher/main.ts`.
 * Env: DATABASE_URL, KAFKA_BROKERS (shared/config.ts); METRICS_PORT (9474), GROUP_ID,
 * WEBHOOK_POOL, WEBHOOK_RETRY_SCHEDULE ("1m,5m,30m,2h,6h,12h"), WEBHOOK_GIVE_UP_AFTER (3d),
 * WEBHOOK_DISABLE_AFTER (5d), WEBHOOK_TIMEOUT_MS (10000), WEBHOOK_CONCURRENCY (32),
 * CONCURRENCY (intake, 16), WEBHOOK_POLL_MS (500), WEBHOOK_EVENT_RETENTION (30d),
 * WEBHOOK_PURGE_BATCH, WEBHOOK_BACKLOG_TOP, PAYORCH_DEV_MODE, WEBHOOK_LOOPBACK_ONLY, LOG_LEVEL.
 * See config.ts and README.md.
 *
 * Two halves in one process: the intake (an engine worker on merchant.events: events →
 * deliveries) and the delivery loop (due deliveries → HTTP, results → Postgres), plus the
 * housekeeping timers (retention purge, backlog gauge, safety sweep).
 */
import { Registry, collectDefaultMetrics } from "prom-client";
import { loadStackEnv, redactUrl } from "../../shared/config.ts";
import { createDb } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { configOrExit } from "../../shared/env.ts";
import { createLogger } from "../../shared/logger.ts";
import { systemResolver } from "../../shared/net/destination.ts";
import { runWorker } from "../engine/index.ts";
import { kafkaConnect } from "../kafka/runtime.ts";
import { loadDispatcherConfig } from "./config.ts";
import { intakeWorker } from "./intake.ts";
import { startDeliveryLoop } from "./loop.ts";
import { createDispatcherMetrics } from "./metrics.ts";
import { afterFailure, shouldDisable } from "./schedule.ts";
import { sendWebhook } from "./send.ts";
import { dispatcherStore } from "./store.ts";

const { env, cfg } = configOrExit("webhook-dispatcher", () => ({ env: loadStackEnv(), cfg: loadDispatcherConfig() }));
const log = createLogger("webhook-dispatcher", cfg.logLevel);
if (cfg.devMode) log.warn({ loopbackOnly: cfg.loopbackOnly }, "dev mode (PAYORCH_DEV_MODE=1): webhooks may go to loopback; local development only");

const sql = createDb({ url: env.DATABASE_URL, max: Math.min(cfg.concurrency + cfg.intakeConcurrency + 4, 30), applicationName: "webhook-dispatcher" });
await migrate(sql);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const metrics = createDispatcherMetrics(registry);
const store = dispatcherStore(sql, {
  pool: cfg.pool,
  leaseMs: cfg.leaseMs,
  policy: {
    afterFailure: (p) => afterFailure({ ...p, schedule: cfg.schedule, giveUpAfterMs: cfg.giveUpAfterMs }),
    shouldDisable: (since, now) => shouldDisable(since, now, cfg.disableAfterMs),
  },
});

const policy = { allowLoopback: cfg.devMode, loopbackOnly: cfg.loopbackOnly };
const loop = startDeliveryLoop({
  store,
  send: (c) =>
    sendWebhook({ url: c.url, eventId: c.eventId, body: c.body, secrets: c.secrets }, { policy, resolver: systemResolver, timeoutMs: cfg.timeoutMs }),
  concurrency: cfg.concurrency,
  pollMs: cfg.pollMs,
  metrics,
  log,
});

const running = await runWorker(intakeWorker({ store, metrics, log, onDeliveries: () => loop.wake() }), {
  // Creates merchant.events (and its retry tiers and DLQ) when missing, so the relay can publish to it.
  connect: kafkaConnect({ brokers: env.KAFKA_BROKERS, clientId: `webhook-dispatcher-${process.pid}`, partitions: env.KAFKA_PARTITIONS }),
  metricsPort: cfg.metricsPort,
  groupId: cfg.groupId,
  registry,
  log,
  engine: { concurrency: cfg.intakeConcurrency },
});

/** A housekeeping timer whose failures are logged, never fatal, and which never overlaps itself. */
function every(ms: number, what: string, job: () => Promise<void>): NodeJS.Timeout {
  let busy = false;
  const t = setInterval(() => {
    if (busy) return;
    busy = true;
    job()
      .catch((err: unknown) => log.warn({ err }, `${what} failed; next round`))
      .finally(() => (busy = false));
  }, ms);
  t.unref();
  return t;
}

const timers = [
  every(cfg.purgeEveryMs, "event purge", async () => {
    for (let round = 0; round < 20; round++) {
      const n = await store.purge(cfg.retentionMs, cfg.purgeBatch);
      if (!n) return;
      metrics.purged.inc(n);
      log.info({ purged: n }, "events past their retention purged");
      if (n < cfg.purgeBatch) return;
    }
  }),
  every(cfg.backlogEveryMs, "backlog gauge", async () => {
    const b = await store.backlog(cfg.backlogTopN);
    metrics.backlog.reset();
    for (const e of b.byEndpoint) metrics.backlog.set({ endpoint: e.endpointId }, e.n);
    const named = b.byEndpoint.reduce((s, e) => s + e.n, 0);
    if (b.total > named) metrics.backlog.set({ endpoint: "other" }, b.total - named);
    metrics.backlogTotal.set(b.total);
  }),
  every(60_000, "lane sweep", async () => {
    const n = await store.unstick();
    if (n > 0) {
      metrics.unstuck.inc(n);
      log.error({ deliveries: n }, "waiting lane heads found and made due: a lane was not re-activated when it should have been");
    }
  }),
];

log.info(
  {
    db: redactUrl(env.DATABASE_URL),
    pool: cfg.pool,
    schedule: cfg.schedule,
    giveUpAfterMs: cfg.giveUpAfterMs,
    disableAfterMs: cfg.disableAfterMs,
    metricsPort: running.metrics.port,
  },
  "webhook dispatcher ready",
);

let exitCode = 0;
await running.done.catch((err: unknown) => {
  log.error({ err }, "webhook dispatcher intake failed");
  exitCode = 1;
});
for (const t of timers) clearInterval(t);
await loop.stop(cfg.timeoutMs + 2_000);
await sql.end({ timeout: 5 });
process.exit(exitCode);
