/**
 * HTTP shapes of events and their delivery log. The event itself is the one schema in
 * shared/merchant-events/schema.ts: what GET /v1/events/{id} returns is what webhooks carry.
 */
import { Type, type Static } from "@sinclair/typebox";
import { EventId, EventType, MerchantEvent } from "../../shared/merchant-events/schema.ts";
import { WebhookEndpointId } from "../webhooks/model.ts";

export const EventList = Type.Object({ object: Type.Literal("list"), data: Type.Array(MerchantEvent), has_more: Type.Boolean() });

export const ListEventsQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: "^(100|[1-9][0-9]?)$", error: "must be an integer between 1 and 100" })),
    starting_after: Type.Optional(Type.String({ ...EventId, error: "must be an event id" })),
    type: Type.Optional(EventType),
  },
  { additionalProperties: false },
);

export const EventIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const DeliveryAttempt = Type.Object({
  attempt: Type.Integer({ description: "1 for the first attempt of a round; a resend starts a new round." }),
  attempted_at: Type.String({ format: "date-time" }),
  duration_ms: Nullable(Type.Integer()),
  status_code: Nullable(Type.Integer({ description: "The endpoint's HTTP status; null when there was no answer." })),
  outcome: Type.Union([Type.Literal("in_flight"), Type.Literal("delivered"), Type.Literal("failed"), Type.Literal("refused"), Type.Literal("interrupted")], {
    description: "interrupted: the dispatcher stopped before the answer was recorded (the event was sent again).",
  }),
  error: Nullable(Type.String({ description: "Why it failed: the status, a timeout, a connection or TLS error, a refused destination." })),
});

export const Delivery = Type.Object({
  object: Type.Literal("webhook_delivery"),
  event: EventId,
  webhook_endpoint: WebhookEndpointId,
  status: Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("dead")], {
    description: "pending: attempts go on; delivered: a 2xx arrived; dead: given up for this endpoint (see dead_reason).",
  }),
  dead_reason: Nullable(Type.String({ description: "expired (retried for the whole window), destination_refused, endpoint_deleted." })),
  next_attempt_at: Nullable(
    Type.String({ format: "date-time", description: "null while pending: waiting for an earlier event of the same payment, or the endpoint is disabled." }),
  ),
  delivered_at: Nullable(Type.String({ format: "date-time" })),
  attempt_count: Type.Integer(),
  resends: Type.Integer(),
  created_at: Type.String({ format: "date-time" }),
  attempts: Type.Array(DeliveryAttempt, { description: "Every attempt of this delivery, oldest first (the latest 100)." }),
});
export type Delivery = Static<typeof Delivery>;

export const DeliveryList = Type.Object({ object: Type.Literal("list"), data: Type.Array(Delivery), has_more: Type.Boolean() });

export const ResendBody = Type.Object(
  {
    webhook_endpoint: Type.Optional(
      Type.String({
        ...WebhookEndpointId,
        error: "must be a webhook endpoint id",
        description: "Only this endpoint; by default every enabled endpoint that subscribes to the event's type.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type ResendBody = Static<typeof ResendBody>;
