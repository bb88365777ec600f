/**
 * The one builder of the API: main.ts serves what this returns and every HTTP test runs
 * it (through test/api/harness.ts), so tests exercise the object graph production runs,
 * routes included. Requests go in through `handle`, which records the socket peer for the
 * per-client limits before the app sees them.
 */
import type { Sql } from "../shared/db/client.ts";
import { createOutboxNotifier } from "../shared/db/outbox.ts";
import { createReplicaReads } from "../shared/db/replica-reads.ts";
import { deadLetterStore } from "../shared/dead-letters/store.ts";
import { Topics } from "../shared/topics.ts";
import { createApp } from "./app.ts";
import {
  type ApiConfig,
  DEFAULT_CAPTURE_WINDOW_HOURS,
  DEFAULT_CREATE_LINGER_MS,
  DEFAULT_RATE_LIMITS,
  DEFAULT_READ_REPLICA_MAX_LAG_MS,
  defaultCreateMaxInFlight,
} from "./config.ts";
import type { Readiness } from "./health/routes.ts";
import { setPeerAddress } from "./http/client-address.ts";
import { createCommandRunner } from "./idempotency/command.ts";
import { createRateLimits, type RateLimitConfig } from "./http/rate-limit.ts";
import { createAuthenticator } from "./merchants/auth.ts";
import type { Logger } from "./observability/logger.ts";
import { createMetrics, type Metrics } from "./observability/metrics.ts";
import { createGroupCommitter } from "./payments/group-commit.ts";
import { createPaymentsService, type PaymentsService } from "./payments/service.ts";
import { createRefundsService } from "./refunds/service.ts";
import { createRoutingService } from "./routing/service.ts";
import { createEventsService } from "./events/service.ts";
import { createWebhooksService } from "./webhooks/service.ts";
import { createGatewayWebhooksService, verifiersFrom } from "./gateway-webhooks/service.ts";
import type { ReconcileSources } from "../shared/reconcile/model.ts";
import { loadReconcileSources } from "../shared/reconcile/sources.ts";

/** At most ~100 wake-ups a second per instance: publication waits at most this long more. */
const NOTIFY_MIN_INTERVAL_MS = 10;

export type ApiDeps = {
  primary: Sql;
  replica: Sql;
  logger: Logger;
  /** Omitted knobs take loadApiConfig's defaults. */
  config: Pick<ApiConfig, "bodyLimitBytes" | "createBatchMax" | "dbPoolMax" | "authCacheMs"> &
    Partial<
      Pick<
        ApiConfig,
        "createMaxInFlight" | "createLingerMs" | "opsApiKey" | "serviceName" | "readReplicaMaxLagMs" | "captureWindowHours" | "createCommitTimeoutMs"
      > &
        RateLimitConfig
    > &
    /** Webhook URLs: plain http and loopback addresses allowed (local receivers). Off unless given. */
    Partial<Pick<ApiConfig, "devMode">> &
    /** The gateways' webhook secrets: without one, that gateway's webhooks are refused (404). */
    Partial<Pick<ApiConfig, "stripeWebhookSecret" | "adyenHmacKey">>;
  metrics?: Metrics;
  /** Replaces the payments service (tests that need one that fails); the rest is wired as always. */
  payments?: PaymentsService;
  /** The connectors' readers for /ops/reconciliation (tests); by default read from the environment per request. */
  reconcileSources?: ReconcileSources;
  /** The limits' clock (tests); performance.now by default. */
  now?: () => number;
};

export function buildApi(deps: ApiDeps) {
  const { config } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const readiness: Readiness = { shuttingDown: false };
  const committer = createGroupCommitter({
    sql: deps.primary,
    maxBatch: config.createBatchMax,
    maxInFlight: config.createMaxInFlight ?? defaultCreateMaxInFlight(config.dbPoolMax),
    lingerMs: config.createLingerMs ?? DEFAULT_CREATE_LINGER_MS,
    onBatch: (n) => metrics.createBatchSize.observe(n),
    onCommitted: createOutboxNotifier(
      deps.primary,
      Topics.paymentsCreated,
      (err) => deps.logger.warn({ err: String(err) }, "outbox notify failed; the relay's poll will pick the rows up"),
      NOTIFY_MIN_INTERVAL_MS,
    ),
  });
  const reads = createReplicaReads({
    primary: deps.primary,
    replica: deps.replica,
    maxLagMs: config.readReplicaMaxLagMs ?? DEFAULT_READ_REPLICA_MAX_LAG_MS,
    onFallback: (reason) => metrics.replicaFallbacks.inc({ reason }),
    onProbe: (lag) => metrics.replicaLag.set(lag === null ? -1 : lag / 1000),
  });
  // Capture, cancel and refund: one transaction each, then a wake-up for the relay.
  const runCommand = createCommandRunner({
    primary: deps.primary,
    onCommitted: createOutboxNotifier(
      deps.primary,
      Topics.paymentsCommands,
      (err) => deps.logger.warn({ err }, "outbox notify failed; the relay's poll will pick the rows up"),
      NOTIFY_MIN_INTERVAL_MS,
    ),
  });
  const payments =
    deps.payments ??
    createPaymentsService({
      primary: deps.primary,
      reads,
      committer,
      commands: runCommand,
      captureWindowHours: config.captureWindowHours ?? DEFAULT_CAPTURE_WINDOW_HOURS,
      commitTimeoutMs: config.createCommitTimeoutMs,
    });
  const limits = createRateLimits(
    {
      merchantRatePerSecond: config.merchantRatePerSecond ?? DEFAULT_RATE_LIMITS.merchantRatePerSecond,
      merchantRateBurst: config.merchantRateBurst ?? DEFAULT_RATE_LIMITS.merchantRateBurst,
      authFailuresPerMinute: config.authFailuresPerMinute ?? DEFAULT_RATE_LIMITS.authFailuresPerMinute,
      authFailureBurst: config.authFailureBurst ?? DEFAULT_RATE_LIMITS.authFailureBurst,
      trustedProxies: config.trustedProxies ?? [...DEFAULT_RATE_LIMITS.trustedProxies],
    },
    { now: deps.now, onLimited: (limit) => metrics.rateLimited.inc({ limit }) },
  );
  const app = createApp({
    primary: deps.primary,
    payments,
    refunds: createRefundsService({ primary: deps.primary, reads, run: runCommand }),
    webhooks: createWebhooksService({ primary: deps.primary, devMode: config.devMode ?? false }),
    events: createEventsService({ primary: deps.primary, reads }),
    routing: createRoutingService({ primary: deps.primary }),
    gatewayWebhooks: createGatewayWebhooksService({
      primary: deps.primary,
      verifiers: verifiersFrom(config),
      logger: deps.logger,
      notifyOutbox: createOutboxNotifier(
        deps.primary,
        Topics.paymentsResults,
        (err) => deps.logger.warn({ err }, "outbox notify failed; the relay's poll will pick the rows up"),
        NOTIFY_MIN_INTERVAL_MS,
      ),
      onNotice: (connector, outcome) => metrics.gatewayWebhooks.inc({ connector, outcome }),
    }),
    authenticate: createAuthenticator({ sql: deps.primary, cacheMs: config.authCacheMs }),
    logger: deps.logger,
    metrics,
    readiness,
    bodyLimitBytes: config.bodyLimitBytes,
    limits,
    ops: {
      store: deadLetterStore(deps.primary),
      opsApiKey: config.opsApiKey,
      bodyLimitBytes: config.bodyLimitBytes,
      onUnauthorized: (request) => limits.authFailed(request),
    },
    reconciliation: {
      sql: deps.primary,
      sources: deps.reconcileSources ?? (() => loadReconcileSources(process.env)),
      opsApiKey: config.opsApiKey,
      onUnauthorized: (request) => limits.authFailed(request),
    },
    instance: config.serviceName,
  });
  /** What the server calls: `peer` is the socket's address (Bun's server.requestIP). */
  const handle = (request: Request, peer?: string): Promise<Response> => {
    setPeerAddress(request, peer);
    return app.handle(request);
  };
  return { app, handle, committer, readiness, metrics, reads };
}
