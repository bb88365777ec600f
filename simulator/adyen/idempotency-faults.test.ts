/**
 * Adyen's Idempotency-Key (docs.adyen.com/development-resources/api-idempotency) and the
 * shared fault injection, through the real library: replays, reuse for another request, a
 * key still in flight, the 31-day window, faults before and after the endpoint, per-payment
 * rules on the merchant reference or metadata, and the request log.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { HttpClientException } from "@adyen/api-library";
import { authorise, MERCHANT, pay, paymentRequest, rejection, startAdyenSimulator } from "./testing.ts";

const run = startAdyenSimulator();
const checkout = run.checkout();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const DAY = 86_400_000;
const faults = (body: unknown) => run.admin("POST", "/__admin/faults", body);
const forPayment = (id: string) => run.admin("GET", `/__admin/charges/${id}`);
const log = async (id: string) => (await run.admin("GET", `/__admin/requests?payment_id=${id}`)).data;

describe("Idempotency-Key", () => {
  test("the same request with the same key replays the first answer and charges once", async () => {
    const first = await pay(checkout, "pay_rep");
    const again = await pay(checkout, "pay_rep");
    expect(again.pspReference).toBe(first.pspReference);
    expect(await forPayment("pay_rep")).toMatchObject({ charges: 1, attempts: 2 });
    expect((await log("pay_rep")).map((r: any) => r.replayed)).toEqual([false, true]);
    const raw = await fetch(`${run.baseUrl}/v72/payments`, {
      method: "POST",
      headers: { "X-API-Key": "k", "Content-Type": "application/json", "Idempotency-Key": "pay_rep" },
      body: JSON.stringify(paymentRequest("pay_rep")),
    });
    expect(raw.headers.get("Idempotency-Key")).toBe("pay_rep");
    expect(((await raw.json()) as { pspReference: string }).pspReference).toBe(first.pspReference!);
  });

  test("a refusal is an answer too: its replay is the same refusal", async () => {
    const first = await pay(checkout, "pay_dec", "pm_card_visa_chargeDeclined");
    expect((await pay(checkout, "pay_dec", "pm_card_visa_chargeDeclined")).pspReference).toBe(first.pspReference);
  });

  test("the key used for another request is 422 704; nothing runs", async () => {
    const { pspReference } = await authorise(checkout, "pay_mis");
    const other = await rejection(pay(checkout, "pay_mis", "pm_card_visa", { amount: { value: 1, currency: "EUR" } }));
    expect(other).toBeInstanceOf(HttpClientException);
    expect([other.statusCode, other.errorCode]).toEqual([422, "704"]);
    const otherEndpoint = await rejection(
      checkout.ModificationsApi.captureAuthorisedPayment(
        pspReference!,
        { amount: { value: 2000, currency: "EUR" }, merchantAccount: MERCHANT },
        { idempotencyKey: "pay_mis" },
      ),
    );
    expect(otherEndpoint.errorCode).toBe("704");
    expect(await forPayment("pay_mis")).toMatchObject({ charges: 0, authorized: 2000 });
  });

  test("while the first request with a key is still running, another gets 422 704 with Transient-Error; it runs once", async () => {
    await faults({ latency: { meanMs: 300 } });
    const [a, b] = await Promise.allSettled([pay(checkout, "pay_race"), Bun.sleep(50).then(() => pay(checkout, "pay_race"))]);
    expect(a.status).toBe("fulfilled");
    const err = (b as PromiseRejectedResult).reason;
    expect([err.statusCode, err.errorCode, err.responseHeaders["transient-error"]]).toEqual([422, "704", "true"]);
    expect(await forPayment("pay_race")).toMatchObject({ charges: 1 });
  });

  test("keys are kept 31 days: within them the key replays, after them it charges again", async () => {
    const first = await pay(checkout, "pay_old");
    await run.admin("POST", "/__admin/clock", { advanceMs: 30 * DAY });
    expect((await pay(checkout, "pay_old")).pspReference).toBe(first.pspReference);
    await run.admin("POST", "/__admin/clock", { advanceMs: 2 * DAY });
    expect((await pay(checkout, "pay_old")).pspReference).not.toBe(first.pspReference);
    expect((await forPayment("pay_old")).charges).toBe(2);
  });

  test("a key longer than 64 characters is refused before anything runs", async () => {
    const err = await rejection(pay(checkout, "pay_long", "pm_card_visa", {}, "k".repeat(65)));
    expect(err.statusCode).toBe(400);
    expect((await forPayment("pay_long")).charges).toBe(0);
  });
});

describe("faults", () => {
  test("an after-phase 500 on a payment: it happened; the retry with the same key replays it", async () => {
    await faults({ next: [{ kind: "500", phase: "after" }] });
    const err = await rejection(pay(checkout, "pay_a"));
    expect([err.statusCode, err.apiError?.errorType]).toEqual([500, "internal"]);
    expect(await forPayment("pay_a")).toMatchObject({ charges: 1, captured: 2000 });
    const retry = await pay(checkout, "pay_a");
    expect(retry.resultCode).toBe("Authorised" as never);
    expect(await forPayment("pay_a")).toMatchObject({ charges: 1, attempts: 2 });
    expect((await log("pay_a")).map((r: any) => [r.status, r.fault, r.replayed])).toEqual([
      [500, "500/after", false],
      [200, null, true],
    ]);
  });

  test("a before-phase 503: nothing happened; the retry charges once", async () => {
    await faults({ next: [{ kind: "503", phase: "before" }] });
    expect((await rejection(pay(checkout, "pay_b"))).statusCode).toBe(503);
    expect((await forPayment("pay_b")).charges).toBe(0);
    await pay(checkout, "pay_b");
    expect(await forPayment("pay_b")).toMatchObject({ charges: 1, attempts: 2 });
  });

  test("a reset and an after-phase hang past the client's timeout surface as ApiException; both charged", async () => {
    await faults({ next: [{ kind: "reset", phase: "after" }] });
    const reset = await rejection(pay(checkout, "pay_reset"));
    expect(reset.name).toBe("ApiException");
    await faults({ next: [{ kind: "hang", phase: "after" }], hangMs: 1_000 });
    const hang = await rejection(pay(run.checkout({ timeoutMs: 200 }), "pay_hang"));
    expect(hang.name).toBe("ApiException");
    expect((await forPayment("pay_reset")).charges).toBe(1);
    expect((await forPayment("pay_hang")).charges).toBe(1);
    expect((await pay(checkout, "pay_hang")).resultCode).toBe("Authorised" as never);
    expect((await forPayment("pay_hang")).charges).toBe(1);
  });

  test("a stored 500 is replayed under its key; a new key can charge", async () => {
    await faults({ rules: [{ match: { payment_id: "pay_st" }, kind: "500", phase: "stored", times: 1 }] });
    expect((await rejection(pay(checkout, "pay_st"))).statusCode).toBe(500);
    expect((await rejection(pay(checkout, "pay_st"))).statusCode).toBe(500);
    expect((await pay(checkout, "pay_st", "pm_card_visa", {}, "pay_st:2")).resultCode).toBe("Authorised" as never);
    expect((await forPayment("pay_st")).charges).toBe(1);
  });

  test("rules match the merchant reference, the metadata, and a modification's payment", async () => {
    await faults({
      rules: [
        { match: { merchantReference: "order-7" }, kind: "503", phase: "before", times: 1 },
        { match: { merchant_id: "mer_x" }, kind: "500", phase: "after", times: 1 },
      ],
    });
    expect((await rejection(pay(checkout, "order-7", "pm_card_visa", { metadata: {} }))).statusCode).toBe(503);
    expect((await pay(checkout, "order-7", "pm_card_visa", { metadata: {} })).resultCode).toBe("Authorised" as never);
    const held = await pay(checkout, "pay_mx", "pm_card_visa", {
      additionalData: { manualCapture: "true" },
      metadata: { payment_id: "pay_mx", merchant_id: "mer_y" },
    });
    await faults({ rules: [{ match: { payment_id: "pay_mx" }, kind: "500", phase: "after" }] });
    const capture = checkout.ModificationsApi.captureAuthorisedPayment(
      held.pspReference!,
      { amount: { value: 2000, currency: "EUR" }, merchantAccount: MERCHANT },
      { idempotencyKey: "cap_mx" },
    );
    expect((await rejection(capture)).statusCode).toBe(500);
    expect(await forPayment("pay_mx")).toMatchObject({ charges: 1, captured: 2000 });
  });

  test("an outage answers 503 to everything until it ends", async () => {
    await faults({ outage: { durationMs: 60_000 } });
    expect((await rejection(pay(checkout, "pay_o"))).statusCode).toBe(503);
    expect((await log("pay_o"))[0].fault).toBe("outage/503");
    await faults({ outage: null });
    expect((await pay(checkout, "pay_o")).resultCode).toBe("Authorised" as never);
  });
});

describe("the request log", () => {
  test("keeps the exchange id, the key and the payment id (metadata.payment_id, else the merchant reference)", async () => {
    await checkout.PaymentsApi.payments(paymentRequest("pay_l"), { idempotencyKey: "pay_l", headers: { "Payorch-Exchange-Id": "ex-1" } });
    await pay(checkout, "order-9", "pm_card_visa", { metadata: {} });
    const all = (await run.admin("GET", "/__admin/requests")).data;
    expect(all.map((r: any) => [r.method, r.path, r.exchangeId, r.idempotencyKey, r.paymentId, r.status])).toEqual([
      ["POST", "/v72/payments", "ex-1", "pay_l", "pay_l", 200],
      ["POST", "/v72/payments", null, "order-9", "order-9", 200],
    ]);
  });
});
