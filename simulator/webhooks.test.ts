/**
 * Stripe-mode webhooks: payment_intent.succeeded, payment_intent.payment_failed and
 * charge.refunded, signed with Stripe-Signature and verified here by stripe-node's own
 * constructEvent; plus the shared delivery options and the promise that turning webhooks on
 * changes no answer and no id.
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { startReceiver, until } from "./adyen/testing.ts";
import { authorize, charge, startSimulator } from "./testing.ts";
import { retryDelay } from "./webhooks.ts";

const SECRET = "whsec_simulatorTestSecret123";
const run = startSimulator();
const stripe = run.stripe();
let receiver = startReceiver();
afterAll(() => run.stop());
beforeEach(async () => {
  await run.admin("POST", "/__admin/reset");
  receiver = startReceiver();
});
afterEach(() => receiver.stop());

const hook = (extra: Record<string, unknown> = {}) => run.admin("POST", "/__admin/webhooks", { url: receiver.url, secret: SECRET, ...extra });
// Under Bun stripe-node verifies with WebCrypto, which is asynchronous only.
const verified = (i: number, secret = SECRET) => {
  const r = receiver.received[i]!;
  return stripe.webhooks.constructEventAsync(r.raw, r.headers.get("Stripe-Signature")!, secret);
};

describe("events", () => {
  test("a charge sends payment_intent.succeeded, signed so stripe-node's constructEvent accepts it", async () => {
    await hook();
    const pi = await charge(stripe, "pay_ws");
    await until("the event", () => receiver.received.length === 1);
    const event = await verified(0);
    expect(event).toMatchObject({ type: "payment_intent.succeeded", object: "event", livemode: false });
    expect(event.data.object).toMatchObject({ id: pi.id, status: "succeeded", metadata: { payment_id: "pay_ws" } });
    await expect(verified(0, "whsec_otherSecret1")).rejects.toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  test("a decline sends payment_intent.payment_failed; a hold amount_capturable_updated; a capture succeeded; a refund refund.created and charge.refunded", async () => {
    await hook();
    await charge(stripe, "pay_wf", "pm_card_visa_chargeDeclined").catch(() => undefined);
    const held = await authorize(stripe, "pay_wc");
    await stripe.paymentIntents.capture(held.id, { amount_to_capture: 1500 });
    await stripe.refunds.create({ payment_intent: held.id, amount: 500, metadata: { refund_id: "re_ours" } });
    await until("five events", () => receiver.received.length === 5);
    const events = await Promise.all([0, 1, 2, 3, 4].map((i) => verified(i)));
    expect(events.map((e) => e.type)).toEqual([
      "payment_intent.payment_failed",
      "payment_intent.amount_capturable_updated",
      "payment_intent.succeeded",
      "refund.created",
      "charge.refunded",
    ]);
    expect(events[1]!.data.object).toMatchObject({ object: "payment_intent", status: "requires_capture", metadata: { payment_id: "pay_wc" } });
    expect(events[3]!.data.object).toMatchObject({ object: "refund", status: "succeeded", amount: 500, metadata: { refund_id: "re_ours" } });
    expect(events[4]!.data.object).toMatchObject({ object: "charge", payment_intent: held.id, amount_captured: 1500, amount_refunded: 500 });
  });

  test("a cancel sends payment_intent.canceled", async () => {
    await hook();
    const held = await authorize(stripe, "pay_wx");
    await stripe.paymentIntents.cancel(held.id);
    await until("two events", () => receiver.received.length === 2);
    expect(await verified(1)).toMatchObject({ type: "payment_intent.canceled", data: { object: { id: held.id, status: "canceled" } } });
  });

  test("twice and held: the shared delivery options work in Stripe mode too", async () => {
    await hook({ duplicate: true, hold: true });
    await charge(stripe, "pay_wd");
    expect(receiver.received.length).toBe(0);
    await run.admin("POST", "/__admin/webhooks/flush");
    expect(receiver.received.length).toBe(2);
    expect((await verified(0)).id).toBe((await verified(1)).id);
  });

  test("webhooks change no answer and no id", async () => {
    const without = await charge(stripe, "pay_same");
    await run.admin("POST", "/__admin/reset");
    await hook();
    const withHooks = await charge(stripe, "pay_same");
    expect(withHooks.id).toBe(without.id);
    expect(withHooks.latest_charge).toBe(without.latest_charge);
  });

  test("the secret must look like a Stripe signing secret", async () => {
    expect((await run.admin("POST", "/__admin/webhooks", { url: receiver.url, secret: "nope" })).error.message).toContain("whsec_");
  });
});

test("stripe-node is the one verifying: a tampered body is refused", async () => {
  await hook();
  await charge(stripe, "pay_tamper");
  await until("the event", () => receiver.received.length === 1);
  const r = receiver.received[0]!;
  const tampered = stripe.webhooks.constructEventAsync(r.raw.replace("pay_tamper", "pay_other"), r.headers.get("Stripe-Signature")!, SECRET);
  await expect(tampered).rejects.toThrow(Stripe.errors.StripeSignatureVerificationError);
});

describe("retry schedule", () => {
  test("retries back off, so 20 of them outlast a gateway outage and the platform's retry tiers, while the first stay quick", () => {
    const waits = Array.from({ length: 20 }, (_, i) => retryDelay(i + 1, 1_000));
    expect(waits.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(Math.max(...waits)).toBe(60_000);
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(10 * 60_000);
  });
});
