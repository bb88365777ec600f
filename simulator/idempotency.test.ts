import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { charge, headerOf, rejection, startSimulator } from "./testing.ts";

const run = startSimulator();
const stripe = run.stripe();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const charges = () => run.admin("GET", "/__admin/charges");

describe("Idempotency-Key replay", () => {
  test("the same key and parameters return the same PaymentIntent and charge once", async () => {
    const first = await charge(stripe, "pay_1");
    const second = await charge(stripe, "pay_1");
    expect(second.id).toBe(first.id);
    expect(second.latest_charge).toBe(first.latest_charge);
    expect(headerOf(second.lastResponse.headers, "idempotent-replayed")).toBe("true");
    expect(headerOf(second.lastResponse.headers, "original-request")).toBe(first.lastResponse.requestId);
    const c = await charges();
    expect(c.byIdempotencyKey).toEqual({ pay_1: 1 });
    expect(c.byPaymentId).toEqual({ pay_1: 1 });
    expect(c.attempts.byPaymentId).toEqual({ pay_1: 2 });
  });

  test("a decline is saved and replayed as the same 402", async () => {
    const a = await rejection(charge(stripe, "pay_d", "pm_card_visa_chargeDeclinedInsufficientFunds"));
    const b = await rejection(charge(stripe, "pay_d", "pm_card_visa_chargeDeclinedInsufficientFunds"));
    expect(b).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(b.payment_intent.id).toBe(a.payment_intent.id);
    expect(headerOf(b.headers, "idempotent-replayed")).toBe("true");
  });

  test("the same key with other parameters is a StripeIdempotencyError and charges nothing more", async () => {
    await charge(stripe, "pay_2", "pm_card_visa", 2000);
    const err = await rejection(charge(stripe, "pay_2", "pm_card_visa", 2001));
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err.statusCode).toBe(400);
    expect(err.rawType).toBe("idempotency_error");
    expect((await charges()).total).toBe(1);
  });

  test("a request refused by validation saves nothing: the corrected retry with the key runs", async () => {
    await rejection(charge(stripe, "pay_3", "pm_card_visa", 10));
    const pi = await charge(stripe, "pay_3", "pm_card_visa", 2000);
    expect(pi.status).toBe("succeeded");
  });

  test("a concurrent request with the key in flight gets 409 idempotency_key_in_use; one charge", async () => {
    await run.admin("POST", "/__admin/faults", { latency: { meanMs: 200 } });
    const [a, b] = await Promise.allSettled([charge(stripe, "pay_4"), Bun.sleep(30).then(() => charge(stripe, "pay_4"))]);
    expect(a.status).toBe("fulfilled");
    expect(b.status).toBe("rejected");
    const err = (b as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(err.statusCode).toBe(409);
    expect(err.code).toBe("idempotency_key_in_use");
    expect((await charges()).byIdempotencyKey).toEqual({ pay_4: 1 });
  });

  test("with its default retries the SDK rides out the 409 and gets the replay", async () => {
    await run.admin("POST", "/__admin/faults", { latency: { meanMs: 200 } });
    const retrying = run.stripe({ maxNetworkRetries: 2 });
    const [a, b] = await Promise.all([charge(retrying, "pay_5"), Bun.sleep(30).then(() => charge(retrying, "pay_5"))]);
    expect(b.id).toBe(a.id);
    expect((await charges()).byIdempotencyKey).toEqual({ pay_5: 1 });
  });
});
