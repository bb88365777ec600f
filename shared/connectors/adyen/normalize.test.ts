import { describe, expect, test } from "bun:test";
import { HttpClientException } from "@adyen/api-library";
import ApiException from "@adyen/api-library/lib/src/services/exception/apiException";
import { fromAdyenAmount, toAdyenAmount } from "./amounts.ts";
import { classify, toPayment, type ErrorContext } from "./normalize.ts";
import { declineOf } from "./refusals.ts";

const AUTO = { captureMethod: "automatic", amount: 2000 } as const;
const MANUAL = { captureMethod: "manual", amount: 2000 } as const;
const ans = (resultCode: string, extra: Record<string, unknown> = {}) => ({ pspReference: "PSP0000000000001", resultCode, ...extra });

describe("resultCode → payment status", () => {
  test.each([
    ["Authorised", AUTO, { status: "succeeded", amountCaptured: 2000 }],
    ["Authorised", MANUAL, { status: "authorized", amountCaptured: 0 }],
    ["Received", AUTO, { status: "processing" }],
    ["Pending", AUTO, { status: "processing" }],
    ["Cancelled", AUTO, { status: "canceled" }],
    ["RedirectShopper", AUTO, { status: "requires_action" }],
    ["IdentifyShopper", AUTO, { status: "requires_action" }],
    ["ChallengeShopper", AUTO, { status: "requires_action" }],
    ["PresentToShopper", AUTO, { status: "requires_action" }],
    ["PartiallyAuthorised", AUTO, { status: "other" }],
    ["AuthenticationFinished", AUTO, { status: "other" }],
  ] as const)("%s (%o) → %o", (rc, charge, expected) => {
    expect(toPayment(ans(rc), charge)).toMatchObject({ ref: "PSP0000000000001", detail: rc, ...expected });
  });

  test("an automatic payment's captured amount is the answer's, in our minor units", () => {
    expect(toPayment(ans("Authorised", { amount: { value: 1_000_000, currency: "CLP" } }), { captureMethod: "automatic", amount: 10_000 }).amountCaptured).toBe(
      10_000,
    );
  });

  test("Refused is the card's answer; Error is a soft decline (a processing error)", () => {
    expect(toPayment(ans("Refused", { refusalReason: "Not enough balance", refusalReasonCode: "12" }), AUTO)).toEqual({
      ref: "PSP0000000000001",
      status: "declined",
      declineCode: "insufficient_funds",
      amountCaptured: 0,
      detail: "Refused: Not enough balance",
    });
    expect(toPayment(ans("Error", { refusalReason: "Acquirer Error", refusalReasonCode: "4" }), AUTO)).toMatchObject({
      status: "declined",
      declineCode: "processing_error",
      soft: true,
    });
    expect(toPayment(ans("Error", { refusalReason: "Unknown", refusalReasonCode: "0" }), AUTO)).toMatchObject({ declineCode: "processing_error", soft: true });
  });

  test("no resultCode at all is a state this platform never asks for", () => {
    expect(toPayment({}, AUTO)).toMatchObject({ ref: "none", status: "other" });
  });
});

describe("refusal reason → decline code", () => {
  test.each([
    ["2", "Refused", "generic_decline", undefined],
    ["3", "Referral", "call_issuer", undefined],
    ["4", "Acquirer Error", "processing_error", true],
    ["5", "Blocked Card", "pickup_card", undefined],
    ["6", "Expired Card", "expired_card", undefined],
    ["7", "Invalid Amount", "invalid_amount", undefined],
    ["8", "Invalid Card Number", "incorrect_number", undefined],
    ["9", "Issuer Unavailable", "issuer_not_available", true],
    ["10", "Not supported", "card_not_supported", undefined],
    ["11", "3D Not Authenticated", "authentication_required", undefined],
    ["12", "Not enough balance", "insufficient_funds", undefined],
    ["14", "Acquirer Fraud", "fraudulent", undefined],
    ["20", "FRAUD", "fraudulent", undefined],
    ["21", "Not Submitted", "processing_error", true],
    ["22", "FRAUD-CANCELLED", "fraudulent", undefined],
    ["23", "Transaction Not Permitted", "transaction_not_allowed", undefined],
    ["24", "CVC Declined", "incorrect_cvc", undefined],
    ["25", "Restricted Card", "restricted_card", undefined],
    ["29", "Withdrawal count exceeded", "card_velocity_exceeded", undefined],
    ["31", "Issuer Suspected Fraud", "fraudulent", undefined],
    ["38", "Authentication required", "authentication_required", undefined],
    ["46", "Transaction blocked by Adyen to prevent excessive retry fees", "do_not_try_again", undefined],
  ] as const)("%s %s → %s", (code, reason, declineCode, soft) => {
    expect(declineOf(code, reason)).toEqual({ declineCode, ...(soft ? { soft } : {}) });
    // Webhooks carry only the text.
    expect(declineOf(undefined, reason)).toEqual({ declineCode, ...(soft ? { soft } : {}) });
  });

  test("Blocked Card is lost_card or stolen_card only when the raw scheme answer says so", () => {
    expect(declineOf("5", "Blocked Card", "41 : Lost card")).toEqual({ declineCode: "lost_card" });
    expect(declineOf("5", "Blocked Card", "43: Stolen card, pick up")).toEqual({ declineCode: "stolen_card" });
    expect(declineOf("5", "Blocked Card", "05 : Do not honor")).toEqual({ declineCode: "pickup_card" });
  });

  test("an unknown reason is a generic decline", () => {
    expect(declineOf("99", "Something new")).toEqual({ declineCode: "generic_decline" });
    expect(declineOf(undefined, undefined)).toEqual({ declineCode: "generic_decline" });
  });
});

const PAY: ErrorContext = { kind: "payment", elapsedMs: 10, timeoutMs: 10_000 };
const MOD: ErrorContext = { ...PAY, kind: "modification" };
const http = (status: number, errorCode: string, message = "m", headers: Record<string, string> = {}) =>
  new HttpClientException({
    message: `HTTP Exception: ${status}`,
    statusCode: status,
    errorCode,
    responseHeaders: headers,
    apiError: { status, errorCode, message, errorType: "validation" },
  });

describe("errors → classes", () => {
  test.each([
    [http(401, "000"), PAY, "fatal", "http_401"],
    [http(403, "901", "Invalid Merchant Account"), PAY, "fatal", "http_403"],
    [http(404, "000"), PAY, "fatal", "http_404"],
    [http(429, "000"), PAY, "not_processed", "rate_limit"],
    [http(500, "000"), PAY, "ambiguous", "http_500"],
    [http(503, "000"), MOD, "ambiguous", "http_503"],
    [http(422, "704", "request already processed or in progress", { "transient-error": "true" }), PAY, "retry", "idempotency_in_progress"],
    [http(422, "704", "request already processed or in progress"), MOD, "fatal", "idempotency_key_reused"],
    [http(422, "800", "Contract not found"), PAY, "declined", "validation_800"],
    [http(422, "101", "Invalid card number"), PAY, "declined", "validation_101"],
    [http(422, "137", "Invalid amount specified"), PAY, "declined", "validation_137"],
    [http(422, "137", "Invalid amount specified"), MOD, "fatal", "invalid_request_137"],
    [http(422, "167", "Original pspReference required for this operation"), MOD, "not_found", "unknown_psp_reference"],
    [http(422, "000", "Insufficient balance on payment"), MOD, "refused", "insufficient_balance"],
    [http(422, "100", "Required field 'amount' is not provided."), PAY, "fatal", "invalid_request_100"],
    [http(422, "905", "Payment details are not supported"), PAY, "fatal", "invalid_request_905"],
    [http(400, "702", "Unable to parse"), PAY, "fatal", "invalid_request_702"],
  ] as const)("%o (%o) → %s %s", (err, ctx, cls, code) => {
    expect(classify(err, ctx)).toMatchObject({ class: cls, code });
  });

  test("the card-validation declines carry Stripe's codes", () => {
    expect(classify(http(422, "800"), PAY).declineCode).toBe("invalid_payment_method");
    expect(classify(http(422, "103"), PAY).declineCode).toBe("invalid_cvc");
  });

  test("no HTTP answer: a refused connection or an unknown host was not processed; the rest may have been", () => {
    expect(classify(new ApiException("connect ECONNREFUSED 127.0.0.1:1"), PAY)).toMatchObject({ class: "not_processed", code: "connection_refused" });
    expect(classify(new ApiException("getaddrinfo ENOTFOUND checkout-test.adyen.com"), PAY)).toMatchObject({ class: "not_processed", code: "dns" });
    expect(classify(new ApiException("socket hang up"), PAY)).toMatchObject({ class: "ambiguous", code: "connection_reset" });
    expect(classify(new ApiException("socket hang up"), { ...PAY, elapsedMs: 10_001 })).toMatchObject({ class: "ambiguous", code: "timeout" });
    expect(classify(new Error("The connection was terminated while the message was still being sent"), PAY)).toMatchObject({
      class: "ambiguous",
      code: "connection_reset",
    });
    expect(classify(new Error("Invalid X-API-Key was used"), PAY)).toMatchObject({ class: "fatal", code: "no_api_key" });
    // The library's 500 default on an exception that never had an answer is not an HTTP status.
    expect(classify(new HttpClientException({ message: "Error loading certificate" }), PAY)).toMatchObject({ class: "ambiguous" });
  });
});

describe("amounts", () => {
  test.each([
    [2000, "EUR", 2000],
    [1500, "JPY", 1500],
    [5000, "CLP", 500_000],
    [900, "ISK", 90_000],
    [150_000, "IDR", 1500],
    [1234, "KWD", 1234],
  ])("%d %s is %d at Adyen, and back", (ours, currency, theirs) => {
    expect(toAdyenAmount(ours, currency)).toEqual({ value: theirs, currency });
    expect(fromAdyenAmount({ value: theirs, currency })).toEqual({ value: ours, currency });
  });

  test("what the other side cannot express is refused, never rounded", () => {
    expect(toAdyenAmount(150_050, "IDR")).toBeUndefined();
    expect(fromAdyenAmount({ value: 500_050, currency: "CLP" })).toBeUndefined();
    expect(toAdyenAmount(1.5, "EUR")).toBeUndefined();
    expect(toAdyenAmount(2000, "eur")).toEqual({ value: 2000, currency: "EUR" });
  });
});
