import { describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { decideCommandError, decideError, decideLookupError, decidePayment, decidePaymentForCommand, decideRefund } from "../outcome.ts";
import { classify, toPayment, toRefund } from "./normalize.ts";

const E = Stripe.errors;
const cardError = (code: string, decline_code?: string) =>
  new E.StripeCardError({
    type: "card_error",
    code,
    ...(decline_code ? { decline_code } : {}),
    message: "declined",
    payment_intent: { id: "pi_1", status: "requires_payment_method" },
  } as never);
const intent = (status: string, extra: Record<string, unknown> = {}) =>
  toPayment({ id: "pi_1", status, amount_received: 0, last_payment_error: null, ...extra } as never);
const refused = () =>
  new E.StripeConnectionError({ message: "connect ECONNREFUSED", detail: Object.assign(new Error("refused"), { code: "ECONNREFUSED" }) } as never);

describe("Stripe intents, in the connector's words", () => {
  test("an intent's state decides the payment: approved, denied with its decline code, held, still processing", () => {
    expect(decidePayment(intent("succeeded"), "automatic")).toEqual({ kind: "approved", gatewayRef: "pi_1" });
    expect(decidePayment(intent("requires_payment_method", { last_payment_error: { decline_code: "insufficient_funds" } }), "automatic")).toEqual({
      kind: "denied",
      declineCode: "insufficient_funds",
      gatewayRef: "pi_1",
    });
    expect(decidePayment(intent("processing"), "automatic").kind).toBe("retry");
    expect(decidePayment(intent("canceled"), "automatic")).toEqual({ kind: "denied", declineCode: "canceled", gatewayRef: "pi_1" });
    expect(decidePayment(intent("requires_capture"), "manual")).toEqual({ kind: "authorized", gatewayRef: "pi_1" });
    // A hold on an automatic payment: somebody else touched it; an operator decides.
    expect(decidePayment(intent("requires_capture"), "automatic").kind).toBe("fatal");
  });

  test("an intent left by a processing error is a soft decline: retried, never read as the card's answer", () => {
    const d = decidePayment(
      intent("requires_payment_method", { last_payment_error: { code: "processing_error", decline_code: "processing_error" } }),
      "automatic",
    );
    expect(d).toMatchObject({ kind: "retry", soft: true });
  });

  test("refunds: succeeded, failed or canceled, else pending; our refund id comes from its metadata", () => {
    expect(decideRefund(toRefund({ id: "re_1", status: "succeeded", metadata: { refund_id: "re_ours" } } as never))).toEqual({
      kind: "refunded",
      gatewayRefundId: "re_1",
    });
    expect(toRefund({ id: "re_1", status: "succeeded", metadata: { refund_id: "re_ours" } } as never).refundId).toBe("re_ours");
    expect(decideRefund(toRefund({ id: "re_2", status: "failed", failure_reason: "expired_or_canceled_card" } as never))).toEqual({
      kind: "refund_failed",
      gatewayRefundId: "re_2",
      reason: "expired_or_canceled_card",
    });
    expect(decideRefund(toRefund({ id: "re_3", status: "canceled" } as never)).kind).toBe("refund_failed");
    expect(decideRefund(toRefund({ id: "re_4", status: "pending" } as never)).kind).toBe("pending");
  });

  test("captures and cancels see the intent's state", () => {
    expect(decidePaymentForCommand(intent("succeeded", { amount_received: 6000 }))).toEqual({ kind: "captured", amount: 6000 });
    expect(decidePaymentForCommand(intent("canceled"))).toEqual({ kind: "canceled" });
    expect(decidePaymentForCommand(intent("requires_capture"))).toEqual({ kind: "capturable" });
    expect(decidePaymentForCommand(intent("requires_payment_method")).kind).toBe("fatal");
  });
});

describe("Stripe errors, by what they say about the money", () => {
  test.each([
    ["card_declined", "insufficient_funds", "insufficient_funds"],
    ["card_declined", "fraudulent", "fraudulent"],
    ["card_declined", "lost_card", "lost_card"],
    ["expired_card", undefined, "expired_card"],
    ["incorrect_cvc", undefined, "incorrect_cvc"],
  ])("card error %s/%s is a final decline (%s)", (code, decline, expected) => {
    expect(decideError(classify(cardError(code, decline)))).toEqual({ kind: "denied", declineCode: expected, gatewayRef: "pi_1" });
  });

  test("a refused connection and a rate limit were not processed: another connector may be tried", () => {
    expect(classify(refused()).class).toBe("not_processed");
    expect(decideError(classify(refused()))).toMatchObject({ kind: "retry", failover: true });
    expect(decideError(classify(new E.StripeRateLimitError({ message: "slow down", code: "rate_limit" } as never)))).toMatchObject({
      kind: "retry",
      failover: true,
    });
  });

  test("a timeout, a reset, a 5xx, a lock timeout and a processing error are retried at Stripe only", () => {
    const here = [
      new E.StripeConnectionError({ message: "Request timed out" } as never),
      new E.StripeAPIError({ message: "server error", statusCode: 500 } as never),
      new E.StripeAPIError({ message: "unavailable", statusCode: 503 } as never),
      // Another request under the same key may be charging: never elsewhere.
      new E.StripeRateLimitError({ message: "lock", code: "lock_timeout" } as never),
      new E.StripeInvalidRequestError({ message: "lock", code: "lock_timeout" } as never),
      cardError("processing_error", "processing_error"),
      new Error("socket hang up"),
    ];
    for (const err of here) {
      const d = decideError(classify(err));
      expect(d.kind).toBe("retry");
      expect(d.kind === "retry" && d.failover).toBeFalsy();
    }
  });

  test("a request that can never succeed as sent is declined; our own mistakes go to the DLQ", () => {
    expect(
      decideError(classify(new E.StripeInvalidRequestError({ message: "No such PaymentMethod", code: "resource_missing", param: "payment_method" } as never))),
    ).toMatchObject({
      kind: "denied",
      declineCode: "invalid_payment_method",
    });
    expect(
      decideError(classify(new E.StripeIdempotencyError({ message: "Keys for idempotent requests can only be used with the same parameters" } as never))).kind,
    ).toBe("fatal");
    expect(decideError(classify(new E.StripeAuthenticationError({ message: "Invalid API Key" } as never))).kind).toBe("fatal");
  });

  test("a failed look-up decides nothing about the card, unless the gateway refuses the look-up itself", () => {
    expect(decideLookupError(classify(new E.StripeAPIError({ message: "server error", statusCode: 500 } as never))).kind).toBe("retry");
    expect(decideLookupError(classify(new E.StripeConnectionError({ message: "timeout" } as never))).kind).toBe("retry");
    expect(decideLookupError(classify(new E.StripeInvalidRequestError({ message: "No such payment_intent", code: "resource_missing" } as never))).kind).toBe(
      "fatal",
    );
    expect(decideLookupError(classify(new E.StripeAuthenticationError({ message: "Expired API Key" } as never))).kind).toBe("fatal");
  });

  test("commands: an unexpected state is looked up; a refund the gateway refuses fails; transient errors retry", () => {
    expect(
      decideCommandError(classify(new E.StripeInvalidRequestError({ message: "status of canceled", code: "payment_intent_unexpected_state" } as never))).kind,
    ).toBe("lookup");
    expect(
      decideCommandError(classify(new E.StripeInvalidRequestError({ message: "greater than unrefunded", code: "amount_too_large" } as never))),
    ).toMatchObject({
      kind: "refund_failed",
      gatewayRefundId: null,
    });
    expect(decideCommandError(classify(new E.StripeInvalidRequestError({ message: "already refunded", code: "charge_already_refunded" } as never))).kind).toBe(
      "refund_failed",
    );
    expect(decideCommandError(classify(new E.StripeAPIError({ message: "boom", statusCode: 500 } as never))).kind).toBe("retry");
    expect(decideCommandError(classify(new E.StripeInvalidRequestError({ message: "No such payment_intent", code: "resource_missing" } as never))).kind).toBe(
      "fatal",
    );
  });
});
