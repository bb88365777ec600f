import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { charge, rejection, startSimulator } from "./testing.ts";

const run = startSimulator();
const stripe = run.stripe();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

describe("Stripe's test payment methods through the official SDK", () => {
  test.each(["pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_visa_debit", "pm_card_discover"])(
    "%s charges: succeeded, a charge, the amount received",
    async (pm) => {
      const pi = await charge(stripe, `pay_${pm}`, pm);
      expect(pi.id).toStartWith("pi_");
      expect(pi.status).toBe("succeeded");
      expect(pi.amount_received).toBe(2000);
      expect(pi.latest_charge).toStartWith("ch_");
      expect(pi.metadata).toEqual({ payment_id: `pay_${pm}` });
      expect((await run.admin("GET", `/__admin/charges/pay_${pm}`)).charges).toBe(1);
    },
  );

  const declines: Array<[string, string, string, string | undefined]> = [
    ["pm_card_visa_chargeDeclined", "card_declined", "generic_decline", undefined],
    ["pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", undefined],
    ["pm_card_chargeDeclinedFraudulent", "card_declined", "fraudulent", undefined],
    ["pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card", undefined],
    ["pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card", undefined],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "exp_month"],
    ["pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc", "cvc"],
    ["pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error", undefined],
    ["pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded", undefined],
  ];

  test.each(declines)("%s is a 402 StripeCardError %s / %s, nothing charged", async (pm, code, declineCode, param) => {
    const err = await rejection(charge(stripe, `pay_${pm}`, pm));
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err.statusCode).toBe(402);
    expect(err.type).toBe("StripeCardError");
    expect(err.code).toBe(code);
    expect(err.decline_code).toBe(declineCode);
    expect(err.param).toBe(param);
    expect(err.charge).toStartWith("ch_");
    expect(err.payment_intent.status).toBe("requires_payment_method");
    expect(err.payment_intent.last_payment_error.decline_code).toBe(declineCode);

    // The declined intent exists and says so when read back.
    const read = await stripe.paymentIntents.retrieve(err.payment_intent.id);
    expect(read.status).toBe("requires_payment_method");
    expect(read.last_payment_error?.code).toBe(code);
    expect((await run.admin("GET", "/__admin/charges")).total).toBe(0);
  });

  test("a card that needs 3D Secure stops at requires_action without charging", async () => {
    const pi = await charge(stripe, "pay_3ds", "pm_card_authenticationRequired");
    expect(pi.status).toBe("requires_action");
    expect((await run.admin("GET", "/__admin/charges")).total).toBe(0);
  });

  test("a declined intent can be confirmed again with a working card", async () => {
    const err = await rejection(charge(stripe, "pay_retry_card", "pm_card_visa_chargeDeclined"));
    const pi = await stripe.paymentIntents.confirm(err.payment_intent.id, { payment_method: "pm_card_visa" });
    expect(pi.status).toBe("succeeded");
    expect((await run.admin("GET", "/__admin/charges/pay_retry_card")).charges).toBe(1);
    const again = await rejection(stripe.paymentIntents.confirm(pi.id));
    expect(again.code).toBe("payment_intent_unexpected_state");
  });

  test("create without confirm, then confirm", async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 999,
      currency: "EUR",
      payment_method: "pm_card_mastercard",
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
    });
    expect(pi.status).toBe("requires_confirmation");
    expect(pi.currency).toBe("eur");
    expect((await stripe.paymentIntents.confirm(pi.id)).status).toBe("succeeded");
  });
});
