/**
 * Finding out what happened to a payment whose answer was lost. Adyen's Checkout API has no
 * "get payment" and no search by merchant reference (README, "Finding out what happened");
 * what a client has is the same request again under the same Idempotency-Key, the
 * notifications, and the technical cancel by reference. The simulator adds a read-only admin
 * view for tests and reconciliation, which no production connector may rely on.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { MERCHANT, pay, rejection, startAdyenSimulator } from "./testing.ts";

const run = startAdyenSimulator();
const checkout = run.checkout();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const faults = (body: unknown) => run.admin("POST", "/__admin/faults", body);

describe("asking the same connector again", () => {
  test("the same /payments under the same key is the lookup: it answers what happened, and charges nothing more", async () => {
    await faults({ next: [{ kind: "503", phase: "after" }] });
    expect((await rejection(pay(checkout, "pay_q", "pm_card_visa_chargeDeclined"))).statusCode).toBe(503);
    const answer = await pay(checkout, "pay_q", "pm_card_visa_chargeDeclined");
    expect([answer.resultCode, answer.refusalReason]).toEqual(["Refused" as never, "Refused"]);
    expect((await run.admin("GET", "/__admin/charges/pay_q")).attempts).toBe(2);
  });

  test("when the first attempt never arrived, the same request runs now, once", async () => {
    await faults({ next: [{ kind: "reset", phase: "before" }] });
    await rejection(pay(checkout, "pay_lost"));
    expect((await pay(checkout, "pay_lost")).resultCode).toBe("Authorised" as never);
    expect((await run.admin("GET", "/__admin/charges/pay_lost")).charges).toBe(1);
  });

  test("a payment that must not happen after all: the technical cancel by merchant reference, without its pspReference", async () => {
    await faults({ next: [{ kind: "hang", phase: "after" }], hangMs: 1_000 });
    await rejection(pay(run.checkout({ timeoutMs: 200 }), "pay_tc", "pm_card_visa", { additionalData: { manualCapture: "true" } }));
    await checkout.ModificationsApi.cancelAuthorisedPayment({ merchantAccount: MERCHANT, paymentReference: "pay_tc" });
    expect(await run.admin("GET", "/__admin/charges/pay_tc")).toMatchObject({ charges: 0, authorized: 2000, capturable: 0 });
  });
});

describe("the simulator's own view (admin, not an Adyen API)", () => {
  test("by merchant reference, by payment id and by pspReference: status, amounts and modifications", async () => {
    const { pspReference } = await pay(checkout, "order-1", "pm_card_visa", { metadata: { payment_id: "pay_v" } });
    await checkout.ModificationsApi.refundCapturedPayment(pspReference!, { amount: { value: 500, currency: "EUR" }, merchantAccount: MERCHANT });
    const byRef = (await run.admin("GET", "/__admin/payments?merchant_reference=order-1")).data;
    const byId = (await run.admin("GET", "/__admin/payments?payment_id=pay_v")).data;
    expect(byRef).toEqual(byId);
    expect(byRef[0]).toMatchObject({
      pspReference,
      merchantReference: "order-1",
      paymentId: "pay_v",
      status: "captured",
      resultCode: "Authorised",
      captured: 2000,
      capturable: 0,
      refunded: 500,
      modifications: [expect.objectContaining({ kind: "refund", status: "succeeded" })],
    });
    expect(await run.admin("GET", `/__admin/payments/${pspReference}`)).toEqual(byRef[0]);
    expect((await run.admin("GET", "/__admin/payments?merchant_reference=nothing")).data).toEqual([]);
  });
});
