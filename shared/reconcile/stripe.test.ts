/**
 * Stripe's side of a reconciliation against the simulator in-process (simulator/testing.ts):
 * payments made through the official SDK with the payment worker's parameters (the worker's
 * connector itself runs on Node only), then read back as records by the list calls, within
 * the window on the simulator's clock.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { authorize, charge, rejection, startSimulator } from "../../simulator/testing.ts";
import type { StripeSettings } from "../connectors/stripe/config.ts";
import { DAY_MS } from "./days.ts";
import { ReconcileError, type GatewayRecord } from "./model.ts";
import { readStripeRecords } from "./stripe.ts";

const run = startSimulator();
const base = `http://127.0.0.1:${run.port}`;
const settings: StripeSettings = { stripeApiBase: base, stripeSecretKey: "sk_test_simulator", stripeTimeoutMs: 5_000 };
const stripe = run.stripe();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const HOUR = 3_600_000;
const advance = (ms: number) => run.admin("POST", "/__admin/clock", { advanceMs: ms });
const simNow = async (): Promise<number> => (await run.admin("GET", "/__admin/clock")).now;

/** As the Stripe connector refunds: keyed by the command, our ids in the metadata. */
const refund = (intent: string, paymentId: string, amount: number, refundId: string) =>
  stripe.refunds.create({ payment_intent: intent, amount, metadata: { refund_id: refundId, payment_id: paymentId } }, { idempotencyKey: `cmd_${refundId}` });

/** The records of the window around the simulator's now (a day either side). */
async function read(): Promise<Map<string, GatewayRecord>> {
  const now = await simNow();
  const { records, warnings } = await readStripeRecords(settings, { from: new Date(now - DAY_MS), to: new Date(now + DAY_MS) });
  expect(warnings).toEqual([]);
  return new Map(records.map((r) => [r.ref, r]));
}

describe("readStripeRecords", () => {
  test("an automatic charge, a manual one partly captured, a held one, a decline: in the platform's words", async () => {
    const auto = (await charge(stripe, "pay_auto")).id;
    const part = (await authorize(stripe, "pay_part")).id;
    await stripe.paymentIntents.capture(part, { amount_to_capture: 1200 }, { idempotencyKey: "cmd_cap" });
    const held = (await authorize(stripe, "pay_held")).id;
    const declined = (await rejection(charge(stripe, "pay_no", "pm_card_visa_chargeDeclined"))).payment_intent.id;
    const records = await read();
    expect(records.get(auto)).toMatchObject({
      connector: "stripe",
      paymentId: "pay_auto",
      currency: "USD",
      authorized: 2000,
      captured: 2000,
      refunded: 0,
      status: "captured",
      detail: "succeeded",
    });
    expect(records.get(part)).toMatchObject({ authorized: 2000, captured: 1200, status: "captured" });
    expect(records.get(held)).toMatchObject({ authorized: 2000, captured: 0, status: "authorized", detail: "requires_capture" });
    expect(records.get(declined)).toMatchObject({ paymentId: "pay_no", authorized: 0, captured: 0, status: "declined", detail: "requires_payment_method" });
    expect(records.get(auto)!.createdAt.getTime()).toBeGreaterThan((await simNow()) - 60_000);
  });

  test("refunds by our refund id: succeeded, pending, and one that fails an hour later", async () => {
    const a = (await charge(stripe, "pay_r")).id;
    await refund(a, "pay_r", 500, "re_ours_1");
    const p = (await charge(stripe, "pay_p", "pm_card_pendingRefund")).id;
    await refund(p, "pay_p", 2000, "re_ours_2");
    const f = (await charge(stripe, "pay_f", "pm_card_refundFail")).id;
    await refund(f, "pay_f", 2000, "re_ours_3");
    let records = await read();
    expect(records.get(a)).toMatchObject({ refunded: 500, refunds: [{ refundId: "re_ours_1", amount: 500, status: "succeeded" }] });
    expect(records.get(p)).toMatchObject({ refunded: 0, refunds: [{ refundId: "re_ours_2", status: "pending" }] });
    expect(records.get(f)).toMatchObject({ refunded: 2000, refunds: [{ status: "succeeded" }] });
    await advance(2 * HOUR);
    records = await read();
    expect(records.get(p)).toMatchObject({ refunded: 2000, refunds: [{ status: "succeeded" }] });
    expect(records.get(f)).toMatchObject({ refunded: 0, refunds: [{ refundId: "re_ours_3", status: "failed" }] });
  });

  test("a payment retried under a new key is two intents with the same payment id", async () => {
    await rejection(charge(stripe, "pay_k", "pm_card_chargeDeclinedProcessingError"));
    await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: "usd",
        payment_method: "pm_card_visa",
        confirm: true,
        allowed_payment_method_types: ["card"],
        metadata: { payment_id: "pay_k" },
      },
      { idempotencyKey: "pay_k:k1" },
    );
    const mine = [...(await read()).values()].filter((r) => r.paymentId === "pay_k");
    expect(mine.map((r) => r.status).sort()).toEqual(["captured", "declined"]);
  });

  test("only what was created in the window, on the gateway's clock; every page is read", async () => {
    for (let i = 0; i < 105; i++) await charge(stripe, `pay_${i}`);
    const from = new Date((await simNow()) + 1_000);
    await advance(3 * DAY_MS);
    const later = (await charge(stripe, "pay_later")).id;
    const { records } = await readStripeRecords(settings, { from, to: new Date((await simNow()) + 60_000) });
    expect(records.map((r) => r.ref)).toEqual([later]);
    const before = await readStripeRecords(settings, { from: new Date(from.getTime() - DAY_MS), to: from });
    expect(before.records).toHaveLength(105);
  });

  test("a key the gateway refuses is a ReconcileError that names the variable, never the key", async () => {
    const err = await readStripeRecords({ ...settings, stripeSecretKey: "sk_live_notatest123" }, { from: new Date(0), to: new Date() }).catch((e) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err.message).toContain("STRIPE_SECRET_KEY");
    expect(err.message).not.toContain("notatest");
  });
});
