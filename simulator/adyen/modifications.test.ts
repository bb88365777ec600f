/**
 * Captures, cancels, refunds, reversals and the technical cancel through the real library.
 * Adyen answers every accepted modification with 201 `received`; whether it succeeded is
 * what the notification (webhooks.test.ts) and the simulator's payment view say.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { authorise, MERCHANT, pay, rejection, startAdyenSimulator } from "./testing.ts";

const run = startAdyenSimulator();
const checkout = run.checkout();
const mods = checkout.ModificationsApi;
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const DAY = 86_400_000;
const EUR = (value: number) => ({ value, currency: "EUR" });
const forPayment = (id: string) => run.admin("GET", `/__admin/charges/${id}`);
const view = (psp: string) => run.admin("GET", `/__admin/payments/${psp}`);
const lastMod = async (psp: string) => (await view(psp)).modifications.at(-1);
const capture = (psp: string, value: number, key: string) =>
  mods.captureAuthorisedPayment(psp, { amount: EUR(value), merchantAccount: MERCHANT }, { idempotencyKey: key });
const refund = (psp: string, value: number, key: string) =>
  mods.refundCapturedPayment(psp, { amount: EUR(value), merchantAccount: MERCHANT, reference: key }, { idempotencyKey: key });

describe("capture", () => {
  test("a manual capture answers 201 received and charges once", async () => {
    const { pspReference } = await authorise(checkout, "pay_c");
    const res = await capture(pspReference!, 2000, "cmd_cap");
    expect(res).toMatchObject({ status: "received", paymentPspReference: pspReference, merchantAccount: MERCHANT, amount: EUR(2000) });
    expect(res.pspReference).not.toBe(pspReference);
    expect(await lastMod(pspReference!)).toMatchObject({ kind: "capture", status: "succeeded", pspReference: res.pspReference });
    expect(await forPayment("pay_c")).toMatchObject({ charges: 1, authorized: 2000, capturable: 0, captured: 2000 });
    expect((await run.admin("GET", "/__admin/charges")).byIdempotencyKey).toEqual({ cmd_cap: 1 });
  });

  test("a partial capture takes the amount asked and releases the rest; a second capture fails", async () => {
    const { pspReference } = await authorise(checkout, "pay_part");
    await capture(pspReference!, 1500, "cap_1");
    expect(await forPayment("pay_part")).toMatchObject({ charges: 1, captured: 1500, capturable: 0 });
    expect((await capture(pspReference!, 500, "cap_2")).status).toBe("received" as never);
    expect(await lastMod(pspReference!)).toMatchObject({ status: "failed", reason: "Payment was already captured, it cannot be captured" });
    expect(await forPayment("pay_part")).toMatchObject({ charges: 1, captured: 1500 });
  });

  test("more than was authorised fails with Insufficient balance on payment; the hold stays", async () => {
    const { pspReference } = await authorise(checkout, "pay_big");
    await capture(pspReference!, 2001, "cap_big");
    expect(await lastMod(pspReference!)).toMatchObject({ status: "failed", reason: "Insufficient balance on payment" });
    expect(await forPayment("pay_big")).toMatchObject({ charges: 0, capturable: 2000 });
    await capture(pspReference!, 2000, "cap_ok");
    expect((await view(pspReference!)).status).toBe("captured");
  });

  test("an unknown pspReference, or a modification's own, is 422 167 and saves nothing", async () => {
    const { pspReference } = await authorise(checkout, "pay_167");
    const unknown = await rejection(capture("AAAABBBBCCCCDDDD", 100, "cap_x"));
    expect([unknown.statusCode, unknown.errorCode, unknown.apiError.message]).toEqual([422, "167", "Original pspReference required for this operation"]);
    const first = await capture(pspReference!, 100, "cap_y");
    expect((await rejection(refund(first.pspReference, 100, "ref_y"))).errorCode).toBe("167");
  });

  test("an authorisation left 7 days is expired: the capture fails, nothing was charged", async () => {
    const { pspReference } = await authorise(checkout, "pay_exp");
    await run.admin("POST", "/__admin/clock", { advanceMs: 7 * DAY + 60_000 });
    expect(await forPayment("pay_exp")).toMatchObject({ authorized: 2000, capturable: 0, charges: 0 });
    await capture(pspReference!, 2000, "cap_late");
    expect(await lastMod(pspReference!)).toMatchObject({ status: "failed", reason: "Authorisation expired, the payment cannot be captured" });
  });
});

describe("cancel", () => {
  test("cancelling an authorisation releases it; a capture afterwards fails", async () => {
    const { pspReference } = await authorise(checkout, "pay_v");
    const res = await mods.cancelAuthorisedPaymentByPspReference(
      pspReference!,
      { merchantAccount: MERCHANT, reference: "void_1" },
      { idempotencyKey: "void_1" },
    );
    expect(res).toMatchObject({ status: "received", paymentPspReference: pspReference, reference: "void_1" });
    expect((await view(pspReference!)).status).toBe("cancelled");
    expect(await forPayment("pay_v")).toMatchObject({ charges: 0, authorized: 2000, capturable: 0, captured: 0 });
    await capture(pspReference!, 2000, "cap_after");
    expect(await lastMod(pspReference!)).toMatchObject({ status: "failed", reason: "Payment was cancelled, it cannot be captured" });
  });

  test("an immediately captured payment cannot be cancelled", async () => {
    const { pspReference } = await pay(checkout, "pay_auto");
    await mods.cancelAuthorisedPaymentByPspReference(pspReference!, { merchantAccount: MERCHANT });
    expect(await lastMod(pspReference!)).toMatchObject({ kind: "cancel", status: "failed" });
    expect(await forPayment("pay_auto")).toMatchObject({ charges: 1, captured: 2000 });
  });
});

describe("refunds", () => {
  test("partial refunds up to what was captured; the next one fails and refunds nothing", async () => {
    const { pspReference } = await pay(checkout, "pay_r");
    const a = await refund(pspReference!, 1200, "ref_a");
    expect(a).toMatchObject({ status: "received", paymentPspReference: pspReference, amount: EUR(1200), reference: "ref_a" });
    await refund(pspReference!, 800, "ref_b");
    await refund(pspReference!, 1, "ref_c");
    const mod = (await view(pspReference!)).modifications;
    expect(mod.map((m: any) => [m.reference, m.status])).toEqual([
      ["ref_a", "succeeded"],
      ["ref_b", "succeeded"],
      ["ref_c", "failed"],
    ]);
    expect(mod[2].reason).toBe("Insufficient balance on payment");
    expect(await forPayment("pay_r")).toMatchObject({ captured: 2000, refunded: 2000, pendingRefunds: 0, refundCount: 2 });
  });

  test("refunds of a partial capture are bounded by the captured amount; an uncaptured payment has nothing to refund", async () => {
    const { pspReference } = await authorise(checkout, "pay_pc");
    await refund(pspReference!, 100, "ref_early");
    expect(await lastMod(pspReference!)).toMatchObject({ status: "failed", reason: "Payment is not captured, it cannot be refunded" });
    await capture(pspReference!, 1000, "cap_pc");
    await refund(pspReference!, 1001, "ref_over");
    expect(await lastMod(pspReference!)).toMatchObject({ status: "failed", reason: "Insufficient balance on payment" });
    await refund(pspReference!, 1000, "ref_all");
    expect(await forPayment("pay_pc")).toMatchObject({ captured: 1000, refunded: 1000 });
  });

  test("pm_card_pendingRefund stays received for an hour; pm_card_refundFail succeeds, then fails and is refundable again", async () => {
    const pending = (await pay(checkout, "pay_pend", "pm_card_pendingRefund")).pspReference!;
    await refund(pending, 2000, "ref_pend");
    expect(await forPayment("pay_pend")).toMatchObject({ refunded: 0, pendingRefunds: 2000 });
    const failing = (await pay(checkout, "pay_fail", "pm_card_refundFail")).pspReference!;
    await refund(failing, 2000, "ref_fail");
    expect(await forPayment("pay_fail")).toMatchObject({ refunded: 2000 });
    await run.admin("POST", "/__admin/clock", { advanceMs: 2 * 3_600_000 });
    expect(await forPayment("pay_pend")).toMatchObject({ refunded: 2000, pendingRefunds: 0 });
    expect(await forPayment("pay_fail")).toMatchObject({ refunded: 0, refundCount: 1 });
    await refund(failing, 2000, "ref_again");
    expect(await lastMod(failing)).toMatchObject({ reference: "ref_again", status: "succeeded" });
  });

  test("a currency other than the payment's fails", async () => {
    const { pspReference } = await pay(checkout, "pay_cur");
    await mods.refundCapturedPayment(pspReference!, { amount: { value: 100, currency: "USD" }, merchantAccount: MERCHANT });
    expect(await lastMod(pspReference!)).toMatchObject({ status: "failed", reason: "Currency of the modification does not match the payment" });
  });
});

describe("reversals and the technical cancel", () => {
  test("a reversal cancels what is only authorised and refunds what was captured", async () => {
    const held = (await authorise(checkout, "pay_rev1")).pspReference!;
    await mods.refundOrCancelPayment(held, { merchantAccount: MERCHANT });
    expect((await view(held)).status).toBe("cancelled");
    const charged = (await pay(checkout, "pay_rev2")).pspReference!;
    await mods.refundOrCancelPayment(charged, { merchantAccount: MERCHANT });
    expect(await forPayment("pay_rev2")).toMatchObject({ captured: 2000, refunded: 2000 });
  });

  test("POST /cancels finds the payment by merchant reference, without its pspReference", async () => {
    const { pspReference } = await authorise(checkout, "pay_tc");
    const res = await mods.cancelAuthorisedPayment({ merchantAccount: MERCHANT, paymentReference: "pay_tc", reference: "tc_1" }, { idempotencyKey: "tc_1" });
    expect(res).toMatchObject({ status: "received", paymentReference: "pay_tc", merchantAccount: MERCHANT });
    expect(await view(pspReference!)).toMatchObject({
      status: "cancelled",
      modifications: [expect.objectContaining({ kind: "technical_cancel", status: "succeeded" })],
    });
    // Nothing with that reference: received all the same, and nothing happens.
    expect((await mods.cancelAuthorisedPayment({ merchantAccount: MERCHANT, paymentReference: "pay_never" })).status).toBe("received" as never);
  });
});
