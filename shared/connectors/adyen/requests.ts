/**
 * What each call sends to Adyen's Checkout API (v72, the version @adyen/api-library 32.1.0
 * pins), and how the audit describes it. Pure: gateway.ts sends what `prepare` returns.
 *
 * The payment body is a function of the charge alone, so a look-up (`retrieve`, `search`)
 * can send the create again byte for byte under the same key, which is what makes Adyen
 * replay the first answer instead of refusing the key (704) or charging again.
 */
import type { Types } from "@adyen/api-library";
import type { Call, Charge, ExchangeRequest, GatewayError } from "../types.ts";
import { toAdyenAmount, type AdyenAmount } from "./amounts.ts";

/** The path prefix the library's Checkout services use (`https://checkout-test.adyen.com/v72`). */
export const CHECKOUT_PATH = "/v72";

export type Prepared =
  | {
      readonly kind: "payment";
      readonly op: "create" | "retrieve" | "search";
      readonly key: string;
      readonly body: Types.checkout.PaymentRequest;
      readonly charge: Charge;
      readonly expectedRef?: string;
    }
  | { readonly kind: "capture"; readonly key: string; readonly psp: string; readonly body: Types.checkout.PaymentCaptureRequest }
  | { readonly kind: "cancel"; readonly key: string; readonly psp: string; readonly body: Types.checkout.PaymentCancelRequest }
  | { readonly kind: "refund"; readonly key: string; readonly psp: string; readonly refundId: string; readonly body: Types.checkout.PaymentRefundRequest }
  /** Nothing is sent: Adyen has no such API, or the call cannot be expressed; the answer is this error. */
  | { readonly kind: "local"; readonly op: Call["op"]; readonly error: GatewayError };

/**
 * Where a shopper would come back after a redirect. Required by the API's PaymentRequest,
 * never used: nobody is present at a merchant-initiated charge, and a redirect answer is
 * read as `requires_action` (a decline). `.invalid` never resolves (RFC 2606). Changing it
 * changes every payment body, and a replay under a key first used with the old body is
 * refused (704) for the key's 31 days.
 */
export const RETURN_URL = "https://payorch.invalid/return";

/**
 * Our token travels as a stored card of the shopper it belongs to, charged without the
 * shopper (docs.adyen.com/online-payments/tokenization: a later payment with a token is
 * `ContAuth`; a non-fixed schedule is `UnscheduledCardOnFile`). The platform keeps a token
 * per merchant, so the merchant id is the shopper reference.
 */
export function paymentBody(c: Charge, merchantAccount: string, amount: AdyenAmount): Types.checkout.PaymentRequest {
  return {
    amount: { value: amount.value, currency: amount.currency },
    merchantAccount,
    reference: c.paymentId,
    paymentMethod: { type: "scheme", storedPaymentMethodId: c.paymentMethod } as Types.checkout.PaymentRequest["paymentMethod"],
    shopperReference: c.merchantId,
    shopperInteraction: "ContAuth" as Types.checkout.PaymentRequest.ShopperInteractionEnum,
    recurringProcessingModel: "UnscheduledCardOnFile" as Types.checkout.PaymentRequest.RecurringProcessingModelEnum,
    returnUrl: RETURN_URL,
    metadata: { payment_id: c.paymentId, merchant_id: c.merchantId },
    // Only when manual, as the Stripe connector does: an automatic payment's body stays what it always was.
    ...(c.captureMethod === "manual" ? { additionalData: { manualCapture: "true" } } : {}),
  };
}

const unexpressible = (op: Call["op"], amount: number, currency: string): Prepared => ({
  kind: "local",
  op,
  error: {
    class: "declined",
    code: "amount_not_representable",
    declineCode: "invalid_amount",
    message: `${amount} ${currency} (minor units) has no exact value in Adyen's minor units for ${currency}`,
  },
});

export function prepare(call: Call, merchantAccount: string): Prepared {
  switch (call.op) {
    case "create":
    case "retrieve":
    case "search": {
      const amount = toAdyenAmount(call.charge.amount, call.charge.currency);
      if (!amount) return unexpressible(call.op, call.charge.amount, call.charge.currency);
      const body = paymentBody(call.charge, merchantAccount, amount);
      return {
        kind: "payment",
        op: call.op,
        key: call.idempotencyKey,
        body,
        charge: call.charge,
        ...(call.op === "retrieve" ? { expectedRef: call.ref } : {}),
      };
    }
    case "capture": {
      const amount = toAdyenAmount(call.amount, call.currency);
      if (!amount) return unexpressible(call.op, call.amount, call.currency);
      return { kind: "capture", key: call.idempotencyKey, psp: call.ref, body: { amount, merchantAccount, reference: call.idempotencyKey } };
    }
    case "cancel":
      return { kind: "cancel", key: call.idempotencyKey, psp: call.ref, body: { merchantAccount, reference: call.idempotencyKey } };
    case "refund": {
      const amount = toAdyenAmount(call.amount, call.currency);
      if (!amount) return unexpressible(call.op, call.amount, call.currency);
      return {
        kind: "refund",
        key: call.idempotencyKey,
        psp: call.ref,
        refundId: call.refundId,
        body: { amount, merchantAccount, reference: call.idempotencyKey },
      };
    }
    case "retrieve_refund":
    case "list_refunds":
      // Nothing was asked, so nothing is known: retry, and the refund's webhook (REFUND, REFUND_FAILED) settles it.
      return {
        kind: "local",
        op: call.op,
        error: {
          class: "retry",
          code: "unsupported_lookup",
          message: "Adyen has no refund look-up: the refund's outcome arrives by webhook (REFUND, REFUND_FAILED)",
        },
      };
  }
}

export function describePrepared(p: Prepared): ExchangeRequest {
  switch (p.kind) {
    case "payment":
      return { method: "POST", path: `${CHECKOUT_PATH}/payments`, idempotencyKey: p.key, params: redact(p.body) as Record<string, unknown> };
    case "capture":
    case "cancel":
    case "refund": {
      const what = { capture: "captures", cancel: "cancels", refund: "refunds" }[p.kind];
      return { method: "POST", path: `${CHECKOUT_PATH}/payments/${p.psp}/${what}`, idempotencyKey: p.key, params: { ...p.body } };
    }
    case "local":
      return { method: "GET", path: `(not sent: ${p.op})`, params: { reason: p.error.code } };
  }
}

const HIDDEN = new Set([
  "paymentMethod",
  "storedPaymentMethodId",
  "action",
  "authentication",
  "threeDS2ResponseData",
  "threeDS2Result",
  "threeDSPaymentData",
  "shopperEmail",
  "shopperIP",
  "shopperName",
  "billingAddress",
  "deliveryAddress",
  "telephoneNumber",
]);
/** additionalData keys that describe the card, the shopper or a token (cardSummary, cardBin, expiryDate, recurring.*, …). */
const HIDDEN_DATA = /card|expiry|holder|bin|recurring|token|shopper|iban|bank|alias|email|address|phone|hmac|cvc|encrypted/i;

/** Drops payment-method, card and shopper details, keeps the shape (what an auditor needs). */
export function redact(value: unknown, depth = 0, inAdditionalData = false): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const hidden = HIDDEN.has(k) || (inAdditionalData && HIDDEN_DATA.test(k));
    out[k] = hidden ? (v === null || v === undefined ? v : "[redacted]") : redact(v, depth + 1, k === "additionalData");
  }
  return out;
}
