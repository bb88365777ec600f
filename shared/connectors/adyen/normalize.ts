/**
 * Adyen's answers and errors in the connector interface's words (../types.ts). Pure,
 * unit-tested. The tables are in README.md beside this file; what they mean for the money:
 * - a `/payments` answer is HTTP 200 whatever the card said: `resultCode` tells it
 *   (Authorised, Refused, Error, Received/Pending, Cancelled, the shopper actions), and a
 *   refusal is the card's answer, in Stripe's decline-code words from `refusalReasonCode`
 *   (docs.adyen.com/development-resources/refusal-reasons); an acquirer error and an issuer
 *   that could not be reached are soft;
 * - a 422 that can never succeed as sent because of the card (800 Contract not found: the
 *   token is not the shopper's; an invalid card number or amount) is a decline too; the
 *   rest of the 4xx are our own mistakes (fatal), except a key still in flight (704 with
 *   `Transient-Error: true`, retry) and an unknown pspReference (167, not_found);
 * - 429 and a refused connection were not processed; a timeout, a reset, a 5xx may have been
 *   (Adyen: "our servers may return a 500 … also when the request is incorrect"; the replay
 *   under the same key tells);
 * - a capture, cancel or refund in the wrong state, or above what is left, is not refused
 *   here: Adyen answers `received` and says so in the webhook (webhook.ts).
 */
import { HttpClientException } from "@adyen/api-library";
import type { GatewayError, GatewayPayment } from "../types.ts";
import { fromAdyenAmount } from "./amounts.ts";
import { declineOf } from "./refusals.ts";

/** The fields of a PaymentResponse this module reads (the library's enums are strings at run time). */
export interface PaymentAnswer {
  readonly pspReference?: string;
  readonly resultCode?: string;
  readonly refusalReason?: string;
  readonly refusalReasonCode?: string;
  readonly amount?: { readonly value: number; readonly currency: string } | null;
  readonly additionalData?: Readonly<Record<string, string>> | null;
}

const SHOPPER_ACTION = new Set(["RedirectShopper", "IdentifyShopper", "ChallengeShopper", "PresentToShopper"]);

/**
 * A `/payments` answer as a payment. Authorised means captured for an automatic payment and
 * held for a manual one (the merchant account must capture immediately by default, Adyen's
 * default: the answer itself does not say which).
 */
export function toPayment(res: PaymentAnswer, charge: { readonly captureMethod: "automatic" | "manual"; readonly amount: number }): GatewayPayment {
  const rc = res.resultCode ?? "unknown";
  const base = { ref: res.pspReference ?? "none", amountCaptured: 0, detail: res.refusalReason ? `${rc}: ${res.refusalReason}` : rc };
  switch (rc) {
    case "Authorised": {
      if (charge.captureMethod === "manual") return { ...base, status: "authorized" };
      const paid = res.amount ? fromAdyenAmount(res.amount)?.value : undefined;
      return { ...base, status: "succeeded", amountCaptured: paid ?? charge.amount };
    }
    case "Refused":
      return { ...base, status: "declined", ...declineOf(res.refusalReasonCode, res.refusalReason, res.additionalData?.refusalReasonRaw) };
    case "Error": {
      // "An error when the payment was being processed": the processor's answer, not the card's.
      const d = declineOf(res.refusalReasonCode, res.refusalReason);
      return { ...base, status: "declined", declineCode: d.declineCode === "generic_decline" ? "processing_error" : d.declineCode, soft: true };
    }
    case "Received":
    case "Pending":
      return { ...base, status: "processing" };
    case "Cancelled":
      return { ...base, status: "canceled" };
    default:
      return SHOPPER_ACTION.has(rc) ? { ...base, status: "requires_action" } : { ...base, status: "other" };
  }
}

/** What the call was: a payment (create, or its replay as a look-up) or a modification of one. */
export type CallKind = "payment" | "modification";

export interface ErrorContext {
  readonly kind: CallKind;
  /** How long the call took, to tell a timeout from a reset (the library reports both as "socket hang up"). */
  readonly elapsedMs: number;
  readonly timeoutMs: number;
}

/** 422s that can never succeed because of the card or the amount: declines, with Stripe's code. */
const CARD_VALIDATION: Readonly<Record<string, string>> = {
  "800": "invalid_payment_method",
  "101": "incorrect_number",
  "102": "incorrect_number",
  "103": "invalid_cvc",
  "137": "invalid_amount",
};

const headerOf = (h: unknown, name: string): string | undefined => {
  const v = (h as Record<string, string | string[] | undefined> | undefined)?.[name];
  return Array.isArray(v) ? v[0] : v;
};

export function classify(err: unknown, ctx: ErrorContext): GatewayError {
  if (err instanceof HttpClientException && err.responseHeaders !== undefined) {
    const code = err.errorCode ?? err.apiError?.errorCode ?? "000";
    const text = err.apiError?.message ?? err.message;
    return classifyHttp(err.statusCode, code, text, headerOf(err.responseHeaders, "transient-error") === "true", ctx.kind);
  }
  // No HTTP answer: the library's ApiException (not an Error) or a plain Error, with node's message.
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === "string" ? message : String(err);
  if (/ECONNREFUSED/.test(text)) return { class: "not_processed", code: "connection_refused", message: `gateway refused the connection: ${text}` };
  // The host name did not resolve: nothing was sent.
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return { class: "not_processed", code: "dns", message: `gateway host not found: ${text}` };
  if (/Invalid X-API-Key was used/.test(text)) return { class: "fatal", code: "no_api_key", message: "no API key configured for the gateway" };
  const timedOut = ctx.elapsedMs >= ctx.timeoutMs * 0.95;
  const code = timedOut ? "timeout" : /ECONNRESET|socket hang up|terminated/i.test(text) ? "connection_reset" : "connection";
  return { class: "ambiguous", code, message: `gateway unreachable (${code}): ${text}` };
}

function classifyHttp(status: number, errorCode: string, text: string, transient: boolean, kind: CallKind): GatewayError {
  const message = `${status} ${errorCode}: ${text}`;
  if (status === 401 || status === 403)
    return { class: "fatal", code: `http_${status}`, message: `gateway refused our credentials or merchant account (${message})` };
  if (status === 429) return { class: "not_processed", code: "rate_limit", message: `gateway rate limit (${message})` };
  if (status >= 500) return { class: "ambiguous", code: `http_${status}`, message: `gateway error (${message})` };
  if (status !== 400 && status !== 422)
    return status === 404 ? { class: "fatal", code: "http_404", message } : { class: "ambiguous", code: `http_${status}`, message };
  if (errorCode === "704") {
    // Adyen's marker of a request that is safe to retry: the first one with this key is still running.
    if (transient) return { class: "retry", code: "idempotency_in_progress", message };
    return { class: "fatal", code: "idempotency_key_reused", message: `idempotency key reused for another request (${message})` };
  }
  if (kind === "modification") {
    if (errorCode === "167") return { class: "not_found", code: "unknown_psp_reference", message };
    if (/insufficient balance/i.test(text)) return { class: "refused", code: "insufficient_balance", message };
    return { class: "fatal", code: `invalid_request_${errorCode}`, message };
  }
  const declineCode = Object.hasOwn(CARD_VALIDATION, errorCode) ? CARD_VALIDATION[errorCode] : undefined;
  if (declineCode) return { class: "declined", code: `validation_${errorCode}`, message, declineCode };
  // 905 (the payment method is not configured for the account), 100/702/000 (a malformed request): ours to fix.
  return { class: "fatal", code: `invalid_request_${errorCode}`, message };
}
