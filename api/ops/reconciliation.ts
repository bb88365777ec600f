/**
 * GET /ops/reconciliation?date=YYYY-MM-DD[&format=json|csv][&connector=stripe|adyen]: the
 * reconciliation of one UTC day (default yesterday) of the platform's payments against each
 * configured connector (shared/reconcile/run.ts), as the report JSON or as CSV, for
 * operators. It reads every gateway record of a five-day window, so it takes seconds, not
 * milliseconds: a tool, not a dashboard feed.
 *
 * Behind the operator key, checked in onRequest before anything is parsed, like the
 * dead-letter endpoints (routes.ts): an unauthenticated caller gets 401 whatever it sent,
 * and the failure counts against its address. The plugin checks its own path, so it is
 * guarded whether or not the dead-letter plugin (which guards every /ops/ path) is mounted.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { ConnectorName } from "../../shared/connectors/types.ts";
import type { Sql } from "../../shared/db/client.ts";
import { ConfigError } from "../../shared/env.ts";
import { ApiError, badRequest, unauthorized } from "../../shared/http-errors.ts";
import { formatDay, parseDay, yesterday } from "../../shared/reconcile/days.ts";
import { ReconcileError, Report, type ReconcileSources } from "../../shared/reconcile/model.ts";
import { reconcile, toCsv } from "../../shared/reconcile/run.ts";
import { Connector } from "../../shared/routing/model.ts";
import { ErrorResponse } from "../payments/model.ts";
import { createOpsAuthenticator } from "./auth.ts";

export type ReconciliationDeps = {
  /** Read-only queries on payments; the primary, so the day is complete (a replica may trail). */
  sql: Sql;
  /**
   * The connectors' readers, or how to load them (`() => loadReconcileSources()`, from
   * shared/reconcile/sources.ts): loaded per request, so an API without gateway settings
   * starts as before and this endpoint alone answers 503 naming the missing variable.
   */
  sources: ReconcileSources | (() => ReconcileSources);
  /** OPS_API_KEY; undefined closes the endpoint. */
  opsApiKey: string | undefined;
  /** Told of each request refused for its operator key (the failed-authentication limit). */
  onUnauthorized?: (request: Request) => void;
  now?: () => Date;
};

export const RECONCILIATION_PATH = "/ops/reconciliation";

export const ReconciliationQuery = Type.Object(
  {
    date: Type.Optional(
      Type.String({
        pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        error: "must be a day as YYYY-MM-DD",
        description: "The UTC day, YYYY-MM-DD; yesterday when absent",
      }),
    ),
    format: Type.Optional(
      Type.Union([Type.Literal("json"), Type.Literal("csv")], { description: "json (the report, default) or csv (one line per mismatch, RFC 4180)" }),
    ),
    connector: Type.Optional(Connector),
  },
  { additionalProperties: false },
);

const unauthorizedResponse = () => {
  const err = unauthorized("Missing or invalid operator key. Send `Authorization: Bearer <OPS_API_KEY>`.");
  return new Response(JSON.stringify(err.toBody()), {
    status: 401,
    headers: { "content-type": "application/json", "www-authenticate": 'Bearer realm="ops"' },
  });
};

function load(sources: ReconciliationDeps["sources"]): ReconcileSources {
  let all: ReconcileSources;
  try {
    all = typeof sources === "function" ? sources() : sources;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ApiError(503, "api_error", "reconciliation_not_configured", `Reconciliation is not configured on this API: ${err.message}`);
  }
  if (Object.keys(all).length === 0)
    throw new ApiError(503, "api_error", "reconciliation_not_configured", "Reconciliation is not configured on this API: no connector settings.");
  return all;
}

function sourcesFor(sources: ReconciliationDeps["sources"], connector: ConnectorName | undefined): ReconcileSources {
  const all = load(sources);
  if (connector === undefined) return all;
  const reader = all[connector];
  if (!reader) throw badRequest("parameter_invalid", `Invalid connector: ${connector} is not configured on this API.`, "connector");
  return { [connector]: reader };
}

/** Either format as a Response (the 200 schema documents the JSON one). */
function respond(report: Report, format: "json" | "csv" | undefined): Response {
  if (format !== "csv") return new Response(JSON.stringify(report), { headers: { "content-type": "application/json" } });
  return new Response(toCsv(report), {
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="reconciliation_${report.date}.csv"` },
  });
}

export function reconciliationRoutes(deps: ReconciliationDeps) {
  const authorized = createOpsAuthenticator(deps.opsApiKey);
  const now = deps.now ?? (() => new Date());
  async function run(query: Static<typeof ReconciliationQuery>): Promise<Report> {
    const date = query.date ?? formatDay(yesterday(now()));
    if (!parseDay(date)) throw badRequest("parameter_invalid", "Invalid date: must be a day as YYYY-MM-DD.", "date");
    const sources = sourcesFor(deps.sources, query.connector);
    try {
      return await reconcile(deps.sql, sources, date);
    } catch (err) {
      if (!(err instanceof ReconcileError)) throw err;
      throw new ApiError(502, "api_error", "reconciliation_source_failed", err.message);
    }
  }
  return (
    new Elysia({ name: "ops-reconciliation", normalize: false })
      // onRequest hooks run for every request of the app that mounts this plugin: hence the path check.
      .onRequest(({ request }) => {
        if (new URL(request.url).pathname !== RECONCILIATION_PATH) return;
        if (authorized(request.headers.get("authorization"))) return;
        deps.onUnauthorized?.(request);
        return unauthorizedResponse();
      })
      .get(RECONCILIATION_PATH, async ({ query }) => respond(await run(query), query.format), {
        query: ReconciliationQuery,
        response: { 200: Report, 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse, 502: ErrorResponse, 503: ErrorResponse },
        detail: {
          tags: ["ops"],
          security: [{ bearer: [] }],
          summary: "Reconcile one day's payments against the connectors' records",
          description:
            "Authenticate with `Authorization: Bearer <OPS_API_KEY>`. Compares the payments created on the UTC day with what each configured connector holds " +
            "(records created from two days before to three days after it) and lists every `missing_locally`, `missing_at_gateway` and `amount_mismatch`. " +
            "`format=csv` answers `text/csv` instead: a header line and one line per mismatch. A connector that cannot be read is a 502; " +
            "an API without connector settings answers 503.",
        },
      })
  );
}
