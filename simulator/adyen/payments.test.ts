/**
 * POST /payments through the real @adyen/api-library: each platform token's outcome, Adyen's
 * own test triggers, manual and delayed capture, and the errors a client must tell apart.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { HttpClientException } from "@adyen/api-library";
import { authorise, MERCHANT, pay, paymentRequest, rejection, startAdyenSimulator } from "./testing.ts";

const run = startAdyenSimulator({ merchantAccounts: [MERCHANT] });
const checkout = run.checkout();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const forPayment = (id: string) => run.admin("GET", `/__admin/charges/${id}`);
const HOUR = 3_600_000;

describe("the platform's tokens", () => {
  test.each([
    ["pm_card_visa", "Authorised", undefined, undefined],
    ["pm_card_mastercard", "Authorised", undefined, undefined],
    ["pm_card_visa_chargeDeclined", "Refused", "Refused", "2"],
    ["pm_card_visa_chargeDeclinedInsufficientFunds", "Refused", "Not enough balance", "12"],
    ["pm_card_visa_chargeDeclinedLostCard", "Refused", "Blocked Card", "5"],
    ["pm_card_chargeDeclinedFraudulent", "Refused", "FRAUD", "20"],
    ["pm_card_chargeDeclinedExpiredCard", "Refused", "Expired Card", "6"],
    ["pm_card_chargeDeclinedIncorrectCvc", "Refused", "CVC Declined", "24"],
    ["pm_card_chargeDeclinedProcessingError", "Error", "Acquirer Error", "4"],
    ["pm_card_authenticationRequired", "Refused", "Authentication Required", "38"],
  ])("%s → %s", async (token, resultCode, refusalReason, refusalReasonCode) => {
    const res = await pay(checkout, `pay_${token}`, token);
    expect(res.resultCode).toBe(resultCode as never);
    expect(res.refusalReason).toBe(refusalReason);
    expect(res.refusalReasonCode).toBe(refusalReasonCode);
    expect(res.pspReference).toMatch(/^[0-9A-Z]{16}$/);
    expect(res.merchantReference).toBe(`pay_${token}`);
    expect(res.amount).toEqual({ value: 2000, currency: "EUR" });
    const ledger = await forPayment(`pay_${token}`);
    // A refusal is a 200 on Adyen: an answer, not an error, and no money moves.
    expect(ledger).toMatchObject(resultCode === "Authorised" ? { charges: 1, captured: 2000 } : { charges: 0, authorized: 0, captured: 0 });
  });

  test("an unknown token is Adyen's 422 800 Contract not found, and nothing is saved under the key", async () => {
    const err = await rejection(pay(checkout, "pay_unknown", "pm_card_nope"));
    expect(err).toBeInstanceOf(HttpClientException);
    expect(err.statusCode).toBe(422);
    expect(err.errorCode).toBe("800");
    expect(err.apiError).toMatchObject({ status: 422, errorCode: "800", message: "Contract not found", errorType: "validation" });
    expect(err.apiError.pspReference).toMatch(/^[0-9A-Z]{16}$/);
    expect((await pay(checkout, "pay_unknown", "pm_card_visa")).resultCode).toBe("Authorised" as never);
  });

  test("a stored payment method needs the shopper it belongs to", async () => {
    const err = await rejection(checkout.PaymentsApi.payments({ ...paymentRequest("pay_ns"), shopperReference: undefined }, { idempotencyKey: "pay_ns" }));
    expect([err.statusCode, err.errorCode, err.apiError.message]).toEqual([422, "100", "Required field 'shopperReference' is not provided."]);
  });
});

describe("Adyen's own test triggers", () => {
  const card = (holderName: string, number = "4111111111111111") =>
    ({ type: "scheme", number, expiryMonth: "03", expiryYear: "2030", cvc: "737", holderName }) as never;

  test("holder names and RequestedTestAcquirerResponseCode give the documented result codes", async () => {
    expect((await pay(checkout, "pay_h1", undefined, { paymentMethod: card("NOT_ENOUGH_BALANCE") })).refusalReason).toBe("Not enough balance");
    expect((await pay(checkout, "pay_h2", undefined, { paymentMethod: card("CARD_EXPIRED") })).refusalReasonCode).toBe("6");
    expect((await pay(checkout, "pay_h3", undefined, { paymentMethod: card("J. Smith") })).resultCode).toBe("Authorised" as never);
    const forced = await pay(checkout, "pay_h4", "pm_card_visa", { additionalData: { RequestedTestAcquirerResponseCode: "4" } });
    expect([forced.resultCode, forced.refusalReason]).toEqual(["Error" as never, "Acquirer Error"]);
  });

  test("a card number that fails the Luhn check is 422 101 Invalid card number", async () => {
    const err = await rejection(pay(checkout, "pay_luhn", undefined, { paymentMethod: card("APPROVED", "4111111111111112") }));
    expect([err.statusCode, err.errorCode]).toEqual([422, "101"]);
  });

  test("Received (pm_card_processing) becomes authorised and charged once simulated time passes", async () => {
    expect((await pay(checkout, "pay_rcv", "pm_card_processing")).resultCode).toBe("Received" as never);
    expect(await forPayment("pay_rcv")).toMatchObject({ charges: 0, captured: 0 });
    await run.admin("POST", "/__admin/clock", { advanceMs: 2 * HOUR });
    expect(await forPayment("pay_rcv")).toMatchObject({ charges: 1, captured: 2000 });
    // A replay repeats the first answer: only the webhook (or the admin view) tells what happened since.
    expect((await pay(checkout, "pay_rcv", "pm_card_processing")).resultCode).toBe("Received" as never);
  });
});

describe("capture modes", () => {
  test("additionalData.manualCapture holds the authorisation; nothing is charged yet", async () => {
    expect((await authorise(checkout, "pay_m")).resultCode).toBe("Authorised" as never);
    expect(await forPayment("pay_m")).toMatchObject({ charges: 0, authorized: 2000, capturable: 2000, captured: 0 });
  });

  test("captureDelayHours captures by itself once the delay has passed", async () => {
    await pay(checkout, "pay_d", "pm_card_visa", { captureDelayHours: 24 });
    expect(await forPayment("pay_d")).toMatchObject({ charges: 0, capturable: 2000 });
    await run.admin("POST", "/__admin/clock", { advanceMs: 25 * HOUR });
    expect(await forPayment("pay_d")).toMatchObject({ charges: 1, captured: 2000, capturable: 0 });
  });
});

describe("errors", () => {
  test("a missing or empty API key is 401 security", async () => {
    const err = await rejection(pay(run.checkout({ apiKey: " " }), "pay_401"));
    expect([err.statusCode, err.apiError?.errorType]).toEqual([401, "security"]);
  });

  test("another merchant account is 403 901 Invalid Merchant Account", async () => {
    const err = await rejection(pay(checkout, "pay_403", "pm_card_visa", { merchantAccount: "SomeoneElse" }));
    expect([err.statusCode, err.errorCode, err.apiError.errorType]).toEqual([403, "901", "security"]);
  });

  test("bad amounts and unknown fields are Adyen's 422s", async () => {
    const negative = await rejection(pay(checkout, "pay_neg", "pm_card_visa", { amount: { value: -1, currency: "EUR" } }));
    expect([negative.statusCode, negative.errorCode]).toEqual([422, "137"]);
    // The library drops fields its types do not know, so only a hand-made request can carry one.
    const unknown = await fetch(`${run.baseUrl}/v72/payments`, {
      method: "POST",
      headers: { "X-API-Key": "k", "Content-Type": "application/json" },
      body: JSON.stringify({ ...paymentRequest("pay_unk"), surprise: 1 }),
    });
    expect([unknown.status, await unknown.json()]).toEqual([422, expect.objectContaining({ errorCode: "702", errorType: "validation" })]);
    const noRef = await rejection(pay(checkout, "pay_ref", "pm_card_visa", { reference: "" }));
    expect([noRef.errorCode, noRef.apiError.message]).toEqual(["100", "Required field 'reference' is not provided."]);
  });

  test("an unknown route is a 404", async () => {
    const res = await fetch(`${run.baseUrl}/v72/paymentz`, { method: "POST", headers: { "X-API-Key": "k" }, body: "{}" });
    expect(res.status).toBe(404);
  });
});
