/**
 * Operator endpoints for dead letters, as an Elysia plugin the API mounts:
 *   GET  /ops/dead-letters            list (state, topic, key, since, limit, before)
 *   GET  /ops/dead-letters/:id        one, with headers and payload
 *   POST /ops/dead-letters/:id/replay
 *   POST /ops/dead-letters/replay     all matching a filter body (state defaults to new)
 *   POST /ops/dead-letters/:id/discard  { reason }
 * Authentication runs in onRequest (before body parsing), like the merchant auth: an
 * unauthenticated caller gets 401 whatever it sent, and the failure counts against its
 * address (api/http/rate-limit.ts), whose limit the app checks before this hook runs.
 */
import { Elysia } from "elysia";
import { ApiError, badRequest, notFound, unauthorized } from "../../shared/http-errors.ts";
import { DeadLetterError } from "../../shared/dead-letters/model.ts";
import { parseJsonBody } from "../http/json-body.ts";
import type { DeadLetterStore } from "../../shared/dead-letters/store.ts";
import { createOpsAuthenticator } from "./auth.ts";
import { ErrorResponse } from "../payments/model.ts";
import { DeadLetterDetail, DeadLetterList, DeadLetterSummary, DiscardBody, IdParams, ListQuery, ReplayFilterBody, ReplayResult } from "./model.ts";

export type OpsDeps = {
  store: DeadLetterStore;
  /** OPS_API_KEY; undefined closes the endpoints. */
  opsApiKey: string | undefined;
  /** Bodies are read as on /v1: JSON only (else 415), at most this many bytes (else 413; 16 KiB unless given). */
  bodyLimitBytes?: number;
  /** Told of each request refused for its operator key (the failed-authentication limit). */
  onUnauthorized?: (request: Request) => void;
};

const PREFIX = "/ops/";

/** Documented error responses (all in the one error shape); 429 is the failed-authentication limit. */
const errors = { 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse } as const;
const bodyErrors = { 413: ErrorResponse, 415: ErrorResponse } as const;

function toApi(err: unknown): unknown {
  if (!(err instanceof DeadLetterError)) return err;
  if (err.kind === "not_found") return notFound(err.message, "id");
  if (err.kind === "conflict") return new ApiError(409, "invalid_request_error", "dead_letter_state", err.message);
  return badRequest("parameter_invalid", err.message);
}

/** Maps store errors to typed API errors; the app's one error handler renders them. */
const mapped = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (err) {
    throw toApi(err);
  }
};

const unauthorizedResponse = () => {
  const err = unauthorized("Missing or invalid operator key. Send `Authorization: Bearer <OPS_API_KEY>`.");
  return new Response(JSON.stringify(err.toBody()), {
    status: 401,
    headers: { "content-type": "application/json", "www-authenticate": 'Bearer realm="ops"' },
  });
};

export function opsRoutes(deps: OpsDeps) {
  const authorized = createOpsAuthenticator(deps.opsApiKey);
  // A bearer key like the merchants', but the operator's (OPS_API_KEY): a merchant key gets 401 here.
  const detail = {
    tags: ["ops"],
    security: [{ bearer: [] }],
    description: "Authenticate with `Authorization: Bearer <OPS_API_KEY>` (the operator key, not a merchant key).",
  };
  // The function does all the parsing; "json" only tells the OpenAPI generator the media type.
  const parse = [parseJsonBody(deps.bodyLimitBytes ?? 16 * 1024), "json" as const];
  return (
    new Elysia({ name: "ops-dead-letters", prefix: "/ops/dead-letters", normalize: false })
      // onRequest hooks run for every request of the app that mounts this plugin: hence the path check.
      .onRequest(({ request }) => {
        if (!new URL(request.url).pathname.startsWith(PREFIX)) return;
        if (authorized(request.headers.get("authorization"))) return;
        deps.onUnauthorized?.(request);
        return unauthorizedResponse();
      })
      .get(
        "",
        ({ query }) =>
          mapped(async () => {
            const limit = query.limit === undefined ? 50 : Number(query.limit);
            if (limit < 1 || limit > 1000) throw new DeadLetterError("invalid", "limit must be in [1, 1000]");
            const data = await deps.store.list({ ...query, limit });
            return { data, next_before: data.length === limit ? (data.at(-1)?.id ?? null) : null };
          }),
        { query: ListQuery, response: { 200: DeadLetterList, ...errors }, detail: { ...detail, summary: "List dead letters (newest first)" } },
      )
      .get("/:id", ({ params }) => mapped(() => deps.store.show(params.id)), {
        params: IdParams,
        response: { 200: DeadLetterDetail, ...errors, 404: ErrorResponse },
        detail: { ...detail, summary: "Show a dead letter with its headers and payload" },
      })
      .post("/:id/replay", ({ params }) => mapped(() => deps.store.replay(params.id)), {
        params: IdParams,
        response: { 200: DeadLetterSummary, ...errors, 404: ErrorResponse, 409: ErrorResponse },
        detail: { ...detail, summary: "Replay a dead letter to the first retry tier of its original topic" },
      })
      .post("/replay", async ({ body }) => ({ replayed: await mapped(() => deps.store.replayMatching(body)) }), {
        parse,
        body: ReplayFilterBody,
        response: { 200: ReplayResult, ...errors, ...bodyErrors },
        detail: { ...detail, summary: "Replay every dead letter matching a filter (state defaults to new)" },
      })
      .post("/:id/discard", ({ params, body }) => mapped(() => deps.store.discard(params.id, body.reason)), {
        parse,
        params: IdParams,
        body: DiscardBody,
        response: { 200: DeadLetterSummary, ...errors, ...bodyErrors, 404: ErrorResponse, 409: ErrorResponse },
        detail: { ...detail, summary: "Discard a dead letter, with a reason" },
      })
  );
}
