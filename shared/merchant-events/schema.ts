/**
 * The merchant event, written once in TypeBox: the JSON that GET /v1/events/{id} returns
 * and every webhook carries (byte for byte: events.body), and the Kafka record that
 * announces it on Topics.merchantEvents.
 */
import { Type, type Static } from "@sinclair/typebox";
import { MerchantId, PaymentId, Timestamp } from "../events.ts";
import { EventTypes } from "./catalogue.ts";

/**
 * The shape of `data.object` and of the event around it. Bumped (a new date) only for a
 * breaking change to either; each event carries the version it was written with.
 */
export const API_VERSION = "2026-12-01";

/** `evt_` + the 32 hex digits of a UUIDv7, so ids sort by creation time. */
export const EventId = Type.String({ pattern: "^evt_[0-9a-f]{32}$", maxLength: 36 });

export const EventType = Type.Union(
  EventTypes.map((t) => Type.Literal(t)),
  { error: `must be one of ${EventTypes.join(", ")}`, description: "An event type of the catalogue." },
);

/**
 * A resource as its GET shows it (a payment, a refund). Only `id` and `object` are fixed
 * here: the resource's own schema lives with the resource.
 */
export const EventObject = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }), object: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: true, description: "The resource as its GET showed it when the event happened." },
);

export const MerchantEvent = Type.Object(
  {
    id: EventId,
    object: Type.Literal("event"),
    type: EventType,
    api_version: Type.String({ maxLength: 32 }),
    created: Type.Integer({ minimum: 0, description: "When the event happened, in Unix seconds." }),
    data: Type.Object({ object: EventObject }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type MerchantEvent = Static<typeof MerchantEvent>;

/**
 * The Kafka record on Topics.merchantEvents (key = payment id). It says which merchant and
 * payment the event belongs to, which the public JSON does not; consumers that hand the
 * event on (the webhook dispatcher) read the exact bytes from events.body, because the
 * outbox stores this record as jsonb, which does not keep key order or spacing.
 */
export const EventRecord = Type.Object(
  {
    v: Type.Literal(1),
    eventId: EventId,
    merchantId: MerchantId,
    paymentId: PaymentId,
    type: EventType,
    createdAt: Timestamp,
    event: MerchantEvent,
  },
  { additionalProperties: false },
);
export type EventRecord = Static<typeof EventRecord>;
