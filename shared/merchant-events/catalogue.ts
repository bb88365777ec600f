/**
 * The merchant event catalogue: every `type` an event (GET /v1/events, webhooks) can have.
 *
 * Names that do not move: merchants store these strings in their endpoints' enabled_events
 * and switch on them in their webhook handlers. Renaming or removing one silently breaks
 * every merchant that uses it. Add new types; never rename. Each event is about exactly
 * one payment (a refund event carries its payment id), which is what orders them.
 */

export const EventTypes = [
  "payment.approved",
  "payment.denied",
  "payment.authorized",
  "payment.captured",
  "payment.canceled",
  "refund.succeeded",
  "refund.failed",
] as const;
export type EventType = (typeof EventTypes)[number];

/** In an endpoint's enabled_events: every type, including ones added later. */
export const ALL_EVENTS = "*";

const known = new Set<string>(EventTypes);
export const isEventType = (s: string): s is EventType => known.has(s);
