/**
 * /v1/webhook_endpoints controller. Authentication has already run (the app's onRequest
 * hook). Rotation is its own operation (POST …/rotate_secret) rather than a PATCH field:
 * it returns a secret, which no other update does, and it is never a side effect of
 * changing something else.
 */
import { Elysia } from "elysia";
import { parseJsonBody } from "../http/json-body.ts";
import { merchantOf } from "../http/request-context.ts";
import { ErrorResponse } from "../payments/model.ts";
import {
  CreateEndpointBody,
  DeletedEndpoint,
  EndpointIdParams,
  EndpointList,
  EndpointResource,
  EndpointWithSecret,
  ListEndpointsQuery,
  UpdateEndpointBody,
} from "./model.ts";
import type { WebhooksService } from "./service.ts";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse } as const;
const byId = { ...errors, 404: ErrorResponse } as const;
const bodyErrors = { 413: ErrorResponse, 415: ErrorResponse } as const;
const tags = ["webhooks"];

export function webhookEndpointsRoutes(deps: { service: WebhooksService; bodyLimitBytes: number }) {
  // The function does all the parsing; "json" only tells the OpenAPI generator the media type.
  const parse = [parseJsonBody(deps.bodyLimitBytes), "json" as const];
  return new Elysia({ name: "webhook-endpoints", prefix: "/v1/webhook_endpoints", normalize: false })
    .post(
      "",
      async ({ body, request, set }) => {
        set.status = 201;
        return deps.service.create(merchantOf(request), body);
      },
      {
        parse,
        body: CreateEndpointBody,
        response: { 201: EndpointWithSecret, ...errors, ...bodyErrors },
        detail: {
          tags,
          summary: "Create a webhook endpoint",
          description:
            "Events of the listed types are POSTed to `url`, signed with the endpoint's secret (`Payorch-Signature`, see the webhooks guide). " +
            "The secret (`whsec_…`) is in this response only. At most 16 endpoints per merchant.",
        },
      },
    )
    .get(
      "",
      async ({ query, request }) => {
        const page = await deps.service.list(merchantOf(request), {
          limit: query.limit === undefined ? 10 : Number(query.limit),
          ...(query.starting_after === undefined ? {} : { startingAfter: query.starting_after }),
        });
        return { object: "list" as const, data: page.data, has_more: page.hasMore };
      },
      {
        query: ListEndpointsQuery,
        response: { 200: EndpointList, ...errors },
        detail: { tags, summary: "List webhook endpoints", description: "Newest first; pass the last id of a page as `starting_after` for the next." },
      },
    )
    .get("/:id", async ({ params, request }) => deps.service.get(merchantOf(request), params.id), {
      params: EndpointIdParams,
      response: { 200: EndpointResource, ...byId },
      detail: { tags, summary: "Retrieve a webhook endpoint" },
    })
    .patch("/:id", async ({ params, body, request }) => deps.service.update(merchantOf(request), params.id, body), {
      parse,
      params: EndpointIdParams,
      body: UpdateEndpointBody,
      response: { 200: EndpointResource, ...byId, ...bodyErrors },
      detail: {
        tags,
        summary: "Update a webhook endpoint",
        description:
          "Change its url, enabled_events, description, or enabled. Disabling holds its deliveries; enabling resumes them in order " +
          "(also after the platform disabled it for failing).",
      },
    })
    .delete("/:id", async ({ params, request }) => deps.service.remove(merchantOf(request), params.id), {
      params: EndpointIdParams,
      response: { 200: DeletedEndpoint, ...byId },
      detail: { tags, summary: "Delete a webhook endpoint", description: "Its pending deliveries end; its delivery log stays readable on each event." },
    })
    .post("/:id/rotate_secret", async ({ params, request }) => deps.service.rotateSecret(merchantOf(request), params.id), {
      params: EndpointIdParams,
      response: { 200: EndpointWithSecret, ...byId },
      detail: {
        tags,
        summary: "Rotate a webhook endpoint's signing secret",
        description:
          "Returns the new secret (shown only here). The previous one stays valid for 24 hours: meanwhile every webhook carries " +
          "a `v1` signature for each, so the receiver can switch at its own pace.",
      },
    });
}
