/**
 * Stripe-mode webhooks: `payment_intent.succeeded`, `payment_intent.payment_failed`,
 * `payment_intent.amount_capturable_updated` (a hold), `payment_intent.canceled`,
 * `charge.refunded`, `refund.created` and `refund.updated` Event objects (docs.stripe.com/api/events/object), signed as Stripe signs
 * them (docs.stripe.com/webhooks#verify-manually): header
 * `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the whsec_ secret>`.
 * `t` is the real time of delivery, because receivers (stripe-node's constructEvent) refuse a
 * signature more than 5 minutes from their own clock; `created` is the simulated time.
 */
import { createHmac } from "node:crypto";
import { snapshot } from "./executed.ts";
import type { WebhookDispatcher } from "./webhooks.ts";

export type StripeEventType =
  | "payment_intent.succeeded"
  | "payment_intent.payment_failed"
  | "payment_intent.amount_capturable_updated"
  | "payment_intent.canceled"
  | "charge.refunded"
  | "refund.created"
  | "refund.updated";
/** What the PaymentIntents and Refunds call when one of these happens; absent, nothing is sent. */
export type StripeEventSink = (type: StripeEventType, object: { id: string; metadata?: Record<string, string> }) => void;

/** The API version stripe@23 pins, so an SDK receiver reads the event as its own. */
export const EVENT_API_VERSION = "2026-10-28.endive";

export function stripeSignature(payload: string, secret: string, timestampSeconds: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestampSeconds}.${payload}`, "utf8").digest("hex");
  return `t=${timestampSeconds},v1=${v1}`;
}

export function stripeEventSink(d: WebhookDispatcher, ids: () => string, now: () => number): StripeEventSink {
  return (type, object) => {
    const event = {
      id: ids(),
      object: "event",
      api_version: EVENT_API_VERSION,
      created: Math.floor(now() / 1000),
      data: { object: snapshot(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const body = JSON.stringify(event);
    d.enqueue({ type, objectId: object.id, paymentId: object.metadata?.payment_id ?? null, merchantId: object.metadata?.merchant_id ?? null }, (secret) => ({
      body,
      headers: { "Content-Type": "application/json", "Stripe-Signature": stripeSignature(body, secret, Math.floor(Date.now() / 1000)) },
    }));
  };
}
