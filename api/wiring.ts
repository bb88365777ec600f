/**
 * Wires the API from pools and config. Used by main.ts and by the integration tests, so
 * tests exercise the same object graph that production runs.
 */
import type { Sql } from "../shared/db/client.ts";
import { createOutboxNotifier } from "../shared/db/outbox.ts";
import { Topics } from "../shared/topics.ts";
import { createApp } from "./app.ts";
import { type ApiConfig, DEFAULT_CREATE_LINGER_MS, defaultCreateMaxInFlight } from "./config.ts";
import type { Readiness } from "./health/routes.ts";
import { createAuthenticator } from "./merchants/auth.ts";
import type { Logger } from "./observability/logger.ts";
import { createMetrics, type Metrics } from "./observability/metrics.ts";
import { createGroupCommitter } from "./payments/group-commit.ts";
import { createPaymentsService } from "./payments/service.ts";

/** At most ~100 wake-ups a second per instance: publication waits at most this long more. */
const NOTIFY_MIN_INTERVAL_MS = 10;

export type ApiDeps = {
  primary: Sql;
  replica: Sql;
  logger: Logger;
  config: Pick<ApiConfig, "bodyLimitBytes" | "createBatchMax" | "dbPoolMax" | "authCacheMs"> &
    Partial<Pick<ApiConfig, "createMaxInFlight" | "createLingerMs">>;
  metrics?: Metrics;
};

export function buildApi(deps: ApiDeps) {
  const metrics = deps.metrics ?? createMetrics();
  const readiness: Readiness = { shuttingDown: false };
  const committer = createGroupCommitter({
    sql: deps.primary,
    maxBatch: deps.config.createBatchMax,
    maxInFlight: deps.config.createMaxInFlight ?? defaultCreateMaxInFlight(deps.config.dbPoolMax),
    lingerMs: deps.config.createLingerMs ?? DEFAULT_CREATE_LINGER_MS,
    onBatch: (n) => metrics.createBatchSize.observe(n),
    onCommitted: createOutboxNotifier(
      deps.primary,
      Topics.paymentsCreated,
      (err) => deps.logger.warn({ err: String(err) }, "outbox notify failed; the relay's poll will pick the rows up"),
      NOTIFY_MIN_INTERVAL_MS,
    ),
  });
  const payments = createPaymentsService({ primary: deps.primary, replica: deps.replica, committer });
  const app = createApp({
    primary: deps.primary,
    payments,
    authenticate: createAuthenticator({ sql: deps.primary, cacheMs: deps.config.authCacheMs }),
    logger: deps.logger,
    metrics,
    readiness,
    bodyLimitBytes: deps.config.bodyLimitBytes,
  });
  return { app, committer, readiness, metrics };
}
