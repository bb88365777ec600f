/**
 * /v1/events controller: the event stream a merchant pulls (the same events, byte for byte,
 * that its webhooks carry), each event's delivery log, and resends. Event bodies are sent
 * as stored, so these handlers answer with a Response rather than an object to serialise.
 */
import { Elysia } from "elysia";
import { parseJsonBody } from "../http/json-body.ts";
import { merchantOf } from "../http/request-context.ts";
import { ErrorResponse } from "../payments/model.ts";
import { MerchantEvent } from "../../shared/merchant-events/schema.ts";
import { DeliveryList, EventIdParams, EventList, ListEventsQuery, ResendBody } from "./model.ts";
import type { EventsService } from "./service.ts";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse } as const;
const byId = { ...errors, 404: ErrorResponse } as const;
const tags = ["events"];

const json = (text: string, status = 200) => new Response(text, { status, headers: { "content-type": "application/json" } });

/** The body is optional: nothing at all means {}; anything sent must be JSON, as everywhere. */
function optionalJsonBody(limitBytes: number) {
  const parse = parseJsonBody(limitBytes);
  return async (ctx: { request: Request }): Promise<unknown> => {
    const { request } = ctx;
    if (request.headers.get("content-type") === null && (request.body === null || request.headers.get("content-length") === "0")) return {};
    return parse(ctx);
  };
}

export function eventsRoutes(deps: { service: EventsService; bodyLimitBytes: number }) {
  return new Elysia({ name: "events", prefix: "/v1/events", normalize: false })
    .get(
      "",
      async ({ query, request }) => {
        const page = await deps.service.list(merchantOf(request), {
          limit: query.limit === undefined ? 10 : Number(query.limit),
          ...(query.starting_after === undefined ? {} : { startingAfter: query.starting_after }),
          ...(query.type === undefined ? {} : { type: query.type }),
        });
        return json(`{"object":"list","data":[${page.bodies.join(",")}],"has_more":${page.hasMore}}`);
      },
      {
        query: ListEventsQuery,
        response: { 200: EventList, ...errors },
        detail: {
          tags,
          summary: "List events",
          description:
            "The events your webhooks carry, newest first, kept for at least 30 days: a system that was down catches up here. " +
            "Pass the last id of a page as `starting_after` for the next; `type` filters by event type.",
        },
      },
    )
    .get("/:id", async ({ params, request }) => json(await deps.service.get(merchantOf(request), params.id)), {
      params: EventIdParams,
      response: { 200: MerchantEvent, ...byId },
      detail: { tags, summary: "Retrieve an event", description: "Byte for byte the JSON its webhooks carried (and signed)." },
    })
    .get(
      "/:id/deliveries",
      async ({ params, request }) => ({ object: "list" as const, data: await deps.service.deliveries(merchantOf(request), params.id), has_more: false }),
      {
        params: EventIdParams,
        response: { 200: DeliveryList, ...byId },
        detail: {
          tags,
          summary: "List an event's webhook deliveries",
          description: "One delivery per endpoint, each with every attempt: when, the status code, how long it took, the error.",
        },
      },
    )
    .post(
      "/:id/resend",
      async ({ params, body, request, set }) => {
        set.status = 202;
        return { object: "list" as const, data: await deps.service.resend(merchantOf(request), params.id, body?.webhook_endpoint), has_more: false };
      },
      {
        parse: [optionalJsonBody(deps.bodyLimitBytes), "json" as const],
        params: EventIdParams,
        body: ResendBody,
        response: { 202: DeliveryList, ...byId, 413: ErrorResponse, 415: ErrorResponse },
        detail: {
          tags,
          summary: "Resend an event",
          description:
            "Sends the event again to `webhook_endpoint`, or to every enabled endpoint that subscribes to its type: a new round of attempts, " +
            "in order after the earlier events of its payment. The body is optional.",
        },
      },
    );
}
