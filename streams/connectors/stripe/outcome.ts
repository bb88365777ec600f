/**
 * What a gateway answer means for a payment. Pure: no I/O, unit-tested.
 *
 * The rule that matters most: only an answer that says what happened to the card is
 * final. Timeouts, resets, 5xx, 429 and `processing_error` say nothing about the card, so
 * they are retried, and the next attempt first asks the gateway what it already has (see
 * plan.ts): never read as a decline, never charged twice.
 */
import Stripe from "stripe";

export type Decision =
  | { readonly kind: "approved"; readonly gatewayRef: string }
  /** A manual payment's authorization: the funds are held, a capture follows. */
  | { readonly kind: "authorized"; readonly gatewayRef: string }
  | { readonly kind: "denied"; readonly declineCode: string; readonly gatewayRef: string }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "fatal"; readonly reason: string };

type Intent = Pick<Stripe.PaymentIntent, "id" | "status" | "last_payment_error">;

/** A PaymentIntent the gateway returned without an error (from a create, a retrieve or a search). */
export function decideIntent(pi: Intent & Partial<Pick<Stripe.PaymentIntent, "capture_method">>): Decision {
  switch (pi.status) {
    case "succeeded":
      return { kind: "approved", gatewayRef: pi.id };
    case "requires_capture":
      if (pi.capture_method === "manual") return { kind: "authorized", gatewayRef: pi.id };
      return { kind: "fatal", reason: `payment intent ${pi.id} is requires_capture, yet it was not created for a manual capture` };
    case "requires_payment_method": {
      const e = pi.last_payment_error;
      // As in decideError: the processor's hiccup, not the card's answer (found by a look-up after one).
      if (e?.code === "processing_error") return { kind: "retry", reason: `payment intent ${pi.id}: card processing error` };
      return { kind: "denied", declineCode: e?.decline_code || e?.code || "generic_decline", gatewayRef: pi.id };
    }
    // A server-side charge cannot complete a customer challenge (3-D Secure).
    case "requires_action":
      return { kind: "denied", declineCode: "authentication_required", gatewayRef: pi.id };
    case "canceled":
      return { kind: "denied", declineCode: "canceled", gatewayRef: pi.id };
    case "processing":
      // Only a later read learns the end: a replayed create would say "processing" forever.
      return { kind: "retry", reason: `payment intent ${pi.id} is processing` };
    default:
      // requires_confirmation: not a state this worker ever leaves an intent in, so somebody
      // else touched it; an operator decides.
      return { kind: "fatal", reason: `payment intent ${pi.id} is ${pi.status}, which this worker never asks for` };
  }
}

/**
 * Of every intent the gateway holds for one payment, the one that tells its outcome: a
 * success wins (the money moved), then a held authorization, then one still processing,
 * then the newest.
 */
export function decisiveIntent<T extends Intent>(intents: readonly T[]): T | undefined {
  const first = (status: string) => intents.find((pi) => pi.status === status);
  return first("succeeded") ?? first("requires_capture") ?? first("processing") ?? intents[0];
}

/** An error thrown by the Stripe SDK (or anything else) while charging or looking up. */
export function decideError(err: unknown): Decision {
  const e = Stripe.errors;
  if (err instanceof e.StripeCardError) {
    // Stripe reports processing_error as a card error, but it is the processor's hiccup, not the card's answer.
    if (err.code === "processing_error") return { kind: "retry", reason: "card processing error" };
    const ref = paymentIntentId(err.raw) ?? "none";
    return { kind: "denied", declineCode: err.decline_code || err.code || "card_declined", gatewayRef: ref };
  }
  if (err instanceof e.StripeIdempotencyError) {
    return { kind: "fatal", reason: "idempotency key reused with different parameters" };
  }
  if (err instanceof e.StripeAuthenticationError || err instanceof e.StripePermissionError) {
    return { kind: "fatal", reason: `gateway rejected our credentials (${err.statusCode ?? "?"})` };
  }
  if (err instanceof e.StripeInvalidRequestError) {
    // The request can never succeed as it is (unknown payment method, amount below the
    // currency minimum, …): the payment is declined, with the gateway's code as the reason.
    if (err.code === "lock_timeout") return { kind: "retry", reason: "gateway lock timeout" };
    const code = err.param === "payment_method" || err.code === "resource_missing" ? "invalid_payment_method" : (err.code ?? "invalid_request");
    return { kind: "denied", declineCode: code, gatewayRef: paymentIntentId(err.raw) ?? "none" };
  }
  if (err instanceof e.StripeRateLimitError) return { kind: "retry", reason: `gateway rate limit (${err.code ?? 429})` };
  if (err instanceof e.StripeConnectionError) return { kind: "retry", reason: `gateway unreachable: ${err.message}` };
  if (err instanceof e.StripeAPIError) return { kind: "retry", reason: `gateway error ${err.statusCode ?? ""}`.trim() };
  if (err instanceof e.StripeError) return { kind: "retry", reason: `gateway error ${err.type}` };
  return { kind: "retry", reason: err instanceof Error ? err.message : String(err) };
}

/** A failed look-up (retrieve or search) decides nothing about the card: retry, unless our own credentials are refused. */
export function decideLookupError(err: unknown): Decision {
  const d = decideError(err);
  if (d.kind === "fatal") return d;
  if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code !== "lock_timeout") {
    return { kind: "fatal", reason: `gateway refused the look-up: ${err.message}` };
  }
  return d.kind === "retry" ? d : { kind: "retry", reason: `gateway look-up failed: ${err instanceof Error ? err.message : String(err)}` };
}

function paymentIntentId(raw: unknown): string | undefined {
  const pi = (raw as { payment_intent?: { id?: string } } | undefined)?.payment_intent;
  return typeof pi?.id === "string" ? pi.id : undefined;
}
