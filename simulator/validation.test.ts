import { afterAll, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { rejection, startSimulator } from "./testing.ts";

const run = startSimulator();
const stripe = run.stripe();
afterAll(() => run.stop());

const base: Stripe.PaymentIntentCreateParams = {
  amount: 2000,
  currency: "usd",
  payment_method: "pm_card_visa",
  confirm: true,
  allowed_payment_method_types: ["card"],
};

describe("requests Stripe would refuse are refused the same way", () => {
  test.each([
    [{ amount: 0 }, "amount", "parameter_invalid_integer"],
    [{ amount: 12.5 }, "amount", "parameter_invalid_integer"],
    [{ amount: 10 }, "amount", "amount_too_small"],
    [{ amount: 100_000_000 }, "amount", "amount_too_large"],
    [{ currency: "zzz" }, "currency", undefined],
    [{ payment_method: "pm_card_nope" }, "payment_method", "resource_missing"],
    [{ surprise: "x" }, "surprise", "parameter_unknown"],
  ])("%j → 400 StripeInvalidRequestError on %s", async (override, param, code) => {
    const err = await rejection(stripe.paymentIntents.create({ ...base, ...override } as any));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(400);
    expect(err.param).toBe(param);
    expect(err.code).toBe(code);
  });

  test("no API key, or a live key, is a 401 StripeAuthenticationError", async () => {
    const res = await fetch(`http://127.0.0.1:${run.port}/v1/payment_intents`, { method: "POST" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
    const live = new Stripe("sk_live_nope", { host: "127.0.0.1", port: run.port, protocol: "http", maxNetworkRetries: 0 });
    const err = await rejection(live.paymentIntents.create(base));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(err.message).not.toContain("sk_live_nope");
  });

  test("an unknown PaymentIntent is a 404 resource_missing", async () => {
    const err = await rejection(stripe.paymentIntents.retrieve("pi_missing"));
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe("resource_missing");
    expect(err.param).toBe("intent");
  });

  test("payment_method_types, the name before API version 2026-10-28, is accepted too", async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      payment_method_types: ["card"],
    } as Stripe.PaymentIntentCreateParams);
    expect(pi.status).toBe("succeeded");
    expect(pi.payment_method_types).toEqual(["card"]);
  });

  test("confirming without payment_method_types, allow_redirects=never or return_url is refused, as on Stripe", async () => {
    const err = await rejection(stripe.paymentIntents.create({ amount: 2000, currency: "usd", payment_method: "pm_card_visa", confirm: true }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.message).toContain("return_url");
    expect(err.payment_intent.status).toBe("requires_confirmation");
    const ok = await stripe.paymentIntents.create({
      amount: 2000,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
    });
    expect(ok.status).toBe("succeeded");
  });
});
