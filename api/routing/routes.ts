/**
 * /v1/routing controller: one resource per merchant, read whole and replaced whole (PUT),
 * so no request can leave half a rule list behind. Authentication has already run (the
 * app's onRequest hook).
 */
import { Elysia } from "elysia";
import { parseJsonBody } from "../http/json-body.ts";
import { merchantOf } from "../http/request-context.ts";
import { ErrorResponse } from "../payments/model.ts";
import { MAX_RULES } from "../../shared/routing/model.ts";
import { PutRoutingBody, RoutingResource } from "./model.ts";
import type { RoutingService } from "./service.ts";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse } as const;
const bodyErrors = { 413: ErrorResponse, 415: ErrorResponse } as const;
const tags = ["routing"];

export function routingRoutes(deps: { service: RoutingService; bodyLimitBytes: number }) {
  // The function does all the parsing; "json" only tells the OpenAPI generator the media type.
  const parse = [parseJsonBody(deps.bodyLimitBytes), "json" as const];
  return new Elysia({ name: "routing", prefix: "/v1/routing", normalize: false })
    .get("", ({ request }) => deps.service.get(merchantOf(request)), {
      response: { 200: RoutingResource, ...errors },
      detail: {
        tags,
        summary: "Retrieve the routing rules",
        description: "The merchant's rules, in order, and the soft-decline option. Without rules every payment takes the platform's default connector.",
      },
    })
    .put("", ({ body, request }) => deps.service.replace(merchantOf(request), body), {
      parse,
      body: PutRoutingBody,
      response: { 200: RoutingResource, ...errors, ...bodyErrors },
      detail: {
        tags,
        summary: "Replace the routing rules",
        description:
          `Replaces every rule and the soft-decline option at once (\`rules: []\` removes them all); at most ${MAX_RULES} rules. ` +
          "Each payment takes the first rule whose conditions (currencies, amount_min/amount_max inclusive, payment_method_types) all hold: " +
          "`connectors` lists the connectors to try in order; `split` sends each payment first to one connector by percentage, picked by " +
          "a stable hash of the payment id, then to the split's others. A payment matching no rule takes the platform's default. " +
          "A payment already sent to a connector stays with it. 400 names the field (for example `rules.2.split`: percents must sum to 100).",
      },
    });
}
