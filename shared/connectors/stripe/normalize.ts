/**
 * Stripe's objects and errors in the connector interface's words (../types.ts). Pure,
 * unit-tested. What each Stripe error means for the money:
 * - a card error is the card's answer (processing_error a soft one); an invalid request
 *   that can never succeed as sent (unknown payment method, amount below the minimum) is
 *   a decline too, with the gateway's code;
 * - a 429 was not processed (Stripe's limiters run before its idempotency layer), nor was
 *   a refused connection; lock_timeout was not either, but another request under the same
 *   key may be running, so it is retried at Stripe and never failed over;
 * - a timeout, a reset, a 5xx may or may not have been;
 * - payment_intent_unexpected_state asks for a look-up; amount_too_large,
 *   charge_already_refunded and charge_not_refundable refuse a command for good;
 * - bad credentials and idempotency errors are our own mistakes.
 */
import Stripe from "stripe";
import type { GatewayError, GatewayPayment, GatewayRefund } from "../types.ts";

type Intent = Pick<Stripe.PaymentIntent, "id" | "status" | "amount_received" | "last_payment_error">;

export function toPayment(pi: Intent): GatewayPayment {
  const base = { ref: pi.id, amountCaptured: pi.amount_received ?? 0, detail: pi.status };
  switch (pi.status) {
    case "succeeded":
      return { ...base, status: "succeeded" };
    case "requires_capture":
      return { ...base, status: "authorized" };
    case "processing":
      return { ...base, status: "processing" };
    case "requires_action":
      return { ...base, status: "requires_action" };
    case "canceled":
      return { ...base, status: "canceled" };
    case "requires_payment_method": {
      const e = pi.last_payment_error;
      const soft = e?.code === "processing_error";
      return { ...base, status: "declined", declineCode: e?.decline_code || e?.code || "generic_decline", ...(soft ? { soft } : {}) };
    }
    default:
      return { ...base, status: "other" };
  }
}

export function toRefund(re: Pick<Stripe.Refund, "id" | "status" | "failure_reason" | "metadata">): GatewayRefund {
  const refundId = re.metadata?.refund_id;
  const base = { ref: re.id, ...(refundId ? { refundId } : {}) };
  if (re.status === "succeeded") return { ...base, status: "succeeded" };
  if (re.status === "failed" || re.status === "canceled") return { ...base, status: "failed", failureReason: re.failure_reason ?? re.status };
  return { ...base, status: "pending" };
}

const REFUSED = new Set(["amount_too_large", "charge_already_refunded", "charge_not_refundable"]);

export function classify(err: unknown): GatewayError {
  const e = Stripe.errors;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof e.StripeCardError) {
    const raw = err.raw as { payment_intent?: Intent } | undefined;
    const payment = raw?.payment_intent?.id ? toPayment(raw.payment_intent) : undefined;
    const soft = err.code === "processing_error";
    return {
      class: "declined",
      code: err.code ?? "card_declined",
      message,
      declineCode: err.decline_code || err.code || "card_declined",
      ...(soft ? { soft } : {}),
      ...(payment ? { payment } : {}),
    };
  }
  if (err instanceof e.StripeIdempotencyError)
    return { class: "fatal", code: "idempotency_error", message: "idempotency key reused with different parameters" };
  if (err instanceof e.StripeAuthenticationError || err instanceof e.StripePermissionError) {
    return { class: "fatal", code: `http_${err.statusCode ?? "?"}`, message: `gateway rejected our credentials (${err.statusCode ?? "?"})` };
  }
  // Stripe answers lock_timeout with a 429 too. Another request holds the object (another delivery's create under the same key may be charging): retry here, never elsewhere.
  if (err instanceof e.StripeError && err.code === "lock_timeout") return { class: "retry", code: "lock_timeout", message: "gateway lock timeout" };
  if (err instanceof e.StripeRateLimitError)
    return { class: "not_processed", code: err.code ?? "rate_limit", message: `gateway rate limit (${err.code ?? 429})` };
  if (err instanceof e.StripeInvalidRequestError) {
    const code = err.code ?? "invalid_request";
    if (code === "payment_intent_unexpected_state") return { class: "unexpected_state", code, message };
    if (REFUSED.has(code)) return { class: "refused", code, message };
    if (code === "resource_missing" && err.param !== "payment_method") return { class: "not_found", code, message };
    // The request can never succeed as it is (unknown payment method, amount below the currency minimum, …).
    const declineCode = err.param === "payment_method" || code === "resource_missing" ? "invalid_payment_method" : code;
    const raw = err.raw as { payment_intent?: Intent } | undefined;
    return { class: "declined", code, message, declineCode, ...(raw?.payment_intent?.id ? { payment: toPayment(raw.payment_intent) } : {}) };
  }
  if (err instanceof e.StripeConnectionError) {
    const detail = (err as { detail?: { code?: unknown } }).detail?.code;
    // A refused connection never reached the gateway; a timeout or a reset may have.
    if (detail === "ECONNREFUSED") return { class: "not_processed", code: "connection_refused", message };
    return { class: "ambiguous", code: typeof detail === "string" ? detail.toLowerCase() : "connection", message: `gateway unreachable: ${message}` };
  }
  if (err instanceof e.StripeAPIError)
    return { class: "ambiguous", code: `http_${err.statusCode ?? "5xx"}`, message: `gateway error ${err.statusCode ?? ""}`.trim() };
  if (err instanceof e.StripeError) return { class: "ambiguous", code: err.type, message: `gateway error ${err.type}` };
  return { class: "ambiguous", code: "unknown", message };
}
