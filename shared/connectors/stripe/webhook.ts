/**
 * Stripe's webhooks in the connector's words: the signature checked by stripe-node
 * (`Stripe-Signature`, HMAC-SHA256 under the endpoint's whsec_ secret, five minutes'
 * tolerance), then the event read as a GatewayNotice. Payment events carry the
 * PaymentIntent (our payment id in its metadata); refund events the Refund (our refund id
 * in its metadata). Everything else is acknowledged and ignored.
 */
import Stripe from "stripe";
import type { GatewayNotice } from "../types.ts";
import { toPayment, toRefund } from "./normalize.ts";

/** A webhook that is not Stripe's: no or a bad signature, a stale timestamp, a body that is not an event. */
export class WebhookRejected extends Error {
  override name = "WebhookRejected";
}

const PAYMENT_EVENTS = new Set([
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "payment_intent.amount_capturable_updated",
  "payment_intent.canceled",
  "payment_intent.processing",
]);
const REFUND_EVENTS = new Set(["refund.created", "refund.updated", "refund.failed", "charge.refund.updated"]);

export function stripeWebhooks(secret: string) {
  // Only for its webhooks helper: no request is ever sent with this client.
  const stripe = new Stripe("sk_test_webhooks_only", { maxNetworkRetries: 0 });
  return {
    async verify(rawBody: string, signature: string | null): Promise<GatewayNotice> {
      if (!signature) throw new WebhookRejected("missing Stripe-Signature header");
      let event: Stripe.Event;
      try {
        event = await stripe.webhooks.constructEventAsync(rawBody, signature, secret);
      } catch (err) {
        throw new WebhookRejected(err instanceof Error ? err.message : "invalid signature");
      }
      return noticeOf(event);
    },
  };
}

export function noticeOf(event: Pick<Stripe.Event, "id" | "type" | "data">): GatewayNotice {
  const base = { connector: "stripe" as const, eventId: event.id, type: event.type };
  const object = event.data.object as unknown as Record<string, unknown>;
  if (PAYMENT_EVENTS.has(event.type) && object.object === "payment_intent") {
    const pi = object as unknown as Stripe.PaymentIntent;
    return {
      ...base,
      paymentId: pi.metadata?.payment_id ?? null,
      about: { kind: "payment", payment: toPayment(pi), amount: pi.amount, currency: pi.currency.toUpperCase() },
    };
  }
  if (REFUND_EVENTS.has(event.type) && object.object === "refund") {
    const re = object as unknown as Stripe.Refund;
    const ref = typeof re.payment_intent === "string" ? re.payment_intent : (re.payment_intent?.id ?? null);
    return { ...base, paymentId: re.metadata?.payment_id ?? null, about: { kind: "refund", refund: toRefund(re), ref, commandId: null, amount: re.amount } };
  }
  return { ...base, paymentId: null, about: { kind: "ignored" } };
}
