/**
 * Builds the HTTP app from its dependencies. No globals, and only api/wiring.ts calls this:
 * main.ts and every HTTP test get the app from buildApi, so a route production does not
 * mount cannot pass a test.
 *
 * Hook order matters: the correlation id, the failed-authentication limit, authentication
 * and the per-key limit run in onRequest, before body parsing, so an unauthenticated caller
 * gets 401 (or 429) whatever it sent and never learns how we validate.
 */
import { Elysia } from "elysia";
import type { Sql } from "../shared/db/client.ts";
import { ApiError, RateLimitError } from "../shared/http-errors.ts";
import { docsRoutes } from "./docs/routes.ts";
import { healthRoutes, type Readiness } from "./health/routes.ts";
import { toApiError } from "./http/errors.ts";
import type { RateLimits } from "./http/rate-limit.ts";
import { beginRequest, requestInfo } from "./http/request-context.ts";
import type { Authenticator } from "./merchants/auth.ts";
import type { Logger } from "./observability/logger.ts";
import type { Metrics } from "./observability/metrics.ts";
import { opsRoutes, type OpsDeps } from "./ops/routes.ts";
import { reconciliationRoutes, type ReconciliationDeps } from "./ops/reconciliation.ts";
import { paymentsRoutes } from "./payments/routes.ts";
import type { PaymentsService } from "./payments/service.ts";
import { refundsRoutes } from "./refunds/routes.ts";
import { routingRoutes } from "./routing/routes.ts";
import type { RoutingService } from "./routing/service.ts";
import type { RefundsService } from "./refunds/service.ts";
import { eventsRoutes } from "./events/routes.ts";
import type { EventsService } from "./events/service.ts";
import { webhookEndpointsRoutes } from "./webhooks/routes.ts";
import { gatewayWebhookRoutes } from "./gateway-webhooks/routes.ts";
import type { GatewayWebhooksService } from "./gateway-webhooks/service.ts";
import type { WebhooksService } from "./webhooks/service.ts";

export type AppDeps = {
  primary: Sql;
  payments: PaymentsService;
  refunds: RefundsService;
  webhooks: WebhooksService;
  events: EventsService;
  routing: RoutingService;
  gatewayWebhooks: GatewayWebhooksService;
  authenticate: Authenticator;
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  bodyLimitBytes: number;
  limits: RateLimits;
  ops: OpsDeps;
  reconciliation: ReconciliationDeps;
  /** Shown by /health/live (SERVICE_NAME); undefined shows none. */
  instance: string | undefined;
};

export function createApp(deps: AppDeps) {
  const { logger, metrics } = deps;
  return new Elysia({ normalize: false })
    .onRequest(async ({ request, set }) => {
      const info = beginRequest(request);
      set.headers["x-request-id"] = info.id;
      const path = new URL(request.url).pathname;
      const merchantApi = path.startsWith("/v1/");
      if (!merchantApi && !path.startsWith("/ops/")) return;
      deps.limits.admitClient(request);
      if (!merchantApi) return; // the ops plugin checks the operator key
      const authorization = request.headers.get("authorization");
      try {
        info.merchantId = await deps.authenticate(authorization);
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) deps.limits.authFailed(request);
        throw err;
      }
      // Authenticated, so the header is exactly `Bearer <key>`: one bucket per key.
      deps.limits.admitKey(authorization!);
    })
    .onError(({ code, error, request, set }) => {
      const apiError = toApiError(code, error, logger.child({ requestId: requestInfo(request).id }));
      set.status = apiError.status;
      if (apiError.status === 401) set.headers["www-authenticate"] = 'Bearer realm="payments"';
      if (apiError instanceof RateLimitError) set.headers["retry-after"] = String(apiError.retryAfterSeconds);
      if (apiError.status === 503) set.headers["retry-after"] = "1";
      return new Response(JSON.stringify(apiError.toBody()), {
        status: apiError.status,
        headers: { "content-type": "application/json" },
      });
    })
    .onAfterResponse(({ request, route, set, responseValue }) => {
      const info = requestInfo(request);
      // Handlers that return a Response (the create) carry their status there, not in `set`.
      const status = responseValue instanceof Response ? responseValue.status : (set.status ?? 200);
      const seconds = (performance.now() - info.startedAt) / 1000;
      // Unmatched paths share one label so scanners cannot blow up metric cardinality.
      const labels = { method: request.method, route: route || "unmatched", status: String(status) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      // A line per request costs a serialisation and a write(2) on the hot path (~5% of a
      // create's CPU), and counts and latencies by status are in /metrics already. So only
      // server errors and created payments log at info (the line ties the request id, which
      // follows the payment through Kafka, the audit and the email, to the payment id);
      // LOG_LEVEL=debug brings back a line for every request.
      const created = status === 201 && responseValue instanceof Response && !!responseValue.headers.get("location")?.startsWith("/v1/payments/");
      const level = Number(status) >= 500 || created ? "info" : "debug";
      if (logger.isLevelEnabled(level)) {
        const paymentId = created ? responseValue.headers.get("location")?.split("/").pop() : undefined;
        logger[level](
          { requestId: info.id, merchantId: info.merchantId, ...(paymentId ? { paymentId } : {}), ...labels, ms: Math.round(seconds * 1000) },
          created ? "payment created" : "request",
        );
      }
    })
    .use(docsRoutes())
    .use(healthRoutes({ sql: deps.primary, readiness: deps.readiness, instance: deps.instance }))
    .get(
      "/metrics",
      async ({ set }) => {
        set.headers["content-type"] = metrics.registry.contentType;
        return metrics.registry.metrics();
      },
      // Scraped on each instance's own port; Caddy does not route it, so it is not in the public document.
      { detail: { summary: "Prometheus metrics", tags: ["ops"], hide: true } },
    )
    .use(paymentsRoutes({ service: deps.payments, bodyLimitBytes: deps.bodyLimitBytes }))
    .use(refundsRoutes({ service: deps.refunds, bodyLimitBytes: deps.bodyLimitBytes }))
    .use(webhookEndpointsRoutes({ service: deps.webhooks, bodyLimitBytes: deps.bodyLimitBytes }))
    .use(eventsRoutes({ service: deps.events, bodyLimitBytes: deps.bodyLimitBytes }))
    .use(routingRoutes({ service: deps.routing, bodyLimitBytes: deps.bodyLimitBytes }))
    .use(gatewayWebhookRoutes({ service: deps.gatewayWebhooks }))
    .use(opsRoutes(deps.ops))
    .use(reconciliationRoutes(deps.reconciliation));
}

export type App = ReturnType<typeof createApp>;
