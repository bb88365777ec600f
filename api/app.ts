/**
 * Builds the HTTP app from its dependencies. No globals: main.ts passes real pools,
 * tests pass their own (and can build many apps in one process).
 *
 * Hook order matters: the correlation id and authentication run in onRequest, before
 * body parsing, so an unauthenticated caller gets 401 whatever it sent and never
 * learns how we validate.
 */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import type { Sql } from "../shared/db/client.ts";
import { healthRoutes, type Readiness } from "./health/routes.ts";
import { toApiError } from "./http/errors.ts";
import { beginRequest, requestInfo } from "./http/request-context.ts";
import type { Authenticator } from "./merchants/auth.ts";
import type { Logger } from "./observability/logger.ts";
import type { Metrics } from "./observability/metrics.ts";
import { paymentsRoutes } from "./payments/routes.ts";
import type { PaymentsService } from "./payments/service.ts";

export type AppDeps = {
  primary: Sql;
  payments: PaymentsService;
  authenticate: Authenticator;
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
  bodyLimitBytes: number;
};

export function createApp(deps: AppDeps) {
  const { logger, metrics } = deps;
  return new Elysia({ normalize: false })
    .onRequest(async ({ request, set }) => {
      const info = beginRequest(request);
      set.headers["x-request-id"] = info.id;
      if (new URL(request.url).pathname.startsWith("/v1/")) {
        info.merchantId = await deps.authenticate(request.headers.get("authorization"));
      }
    })
    .onError(({ code, error, request, set }) => {
      const apiError = toApiError(code, error, logger.child({ requestId: requestInfo(request).id }));
      set.status = apiError.status;
      if (apiError.status === 401) set.headers["www-authenticate"] = 'Bearer realm="payments"';
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
      const created = status === 201 && responseValue instanceof Response;
      const level = Number(status) >= 500 || created ? "info" : "debug";
      if (logger.isLevelEnabled(level)) {
        const paymentId = created ? responseValue.headers.get("location")?.split("/").pop() : undefined;
        logger[level]({ requestId: info.id, merchantId: info.merchantId, ...(paymentId ? { paymentId } : {}), ...labels, ms: Math.round(seconds * 1000) }, created ? "payment created" : "request");
      }
    })
    .use(
      openapi({
        path: "/docs",
        specPath: "/docs/openapi.json",
        documentation: {
          info: {
            title: "Payments API",
            version: "1.0.0",
            description: "Create and read payments. Authenticate with `Authorization: Bearer <key>`.",
          },
          components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
          security: [{ bearer: [] }],
        },
      }),
    )
    .use(healthRoutes({ sql: deps.primary, readiness: deps.readiness }))
    .get(
      "/metrics",
      async ({ set }) => {
        set.headers["content-type"] = metrics.registry.contentType;
        return metrics.registry.metrics();
      },
      { detail: { summary: "Prometheus metrics", tags: ["ops"] } },
    )
    .use(paymentsRoutes({ service: deps.payments, bodyLimitBytes: deps.bodyLimitBytes }));
}

export type App = ReturnType<typeof createApp>;
