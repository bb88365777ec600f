import { describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { decideCommandError, decideIntentForCommand, decideRefundObject, ofRefundList } from "./command-outcome.ts";

const E = Stripe.errors;
const pi = (status: string, amount_received = 0) => ({ id: "pi_1", status, amount_received }) as never;

describe("capture and cancel outcomes", () => {
  test("the intent's state says what happened: captured (with the amount taken), canceled, still held", () => {
    expect(decideIntentForCommand(pi("succeeded", 6000))).toEqual({ kind: "captured", amount: 6000 });
    expect(decideIntentForCommand(pi("canceled"))).toEqual({ kind: "canceled" });
    expect(decideIntentForCommand(pi("requires_capture"))).toEqual({ kind: "capturable" });
    expect(decideIntentForCommand(pi("processing")).kind).toBe("retry");
    expect(decideIntentForCommand(pi("requires_payment_method")).kind).toBe("fatal");
  });

  test("an unexpected state is looked up, never answered by another command; transient errors retry", () => {
    const unexpected = new E.StripeInvalidRequestError({ message: "could not be captured because it has a status of canceled", code: "payment_intent_unexpected_state" } as never);
    expect(decideCommandError(unexpected).kind).toBe("lookup");
    expect(decideCommandError(new E.StripeAPIError({ message: "boom", statusCode: 500 } as never)).kind).toBe("retry");
    expect(decideCommandError(new E.StripeConnectionError({ message: "timeout" } as never)).kind).toBe("retry");
    expect(decideCommandError(new E.StripeAuthenticationError({ message: "Expired API Key" } as never)).kind).toBe("fatal");
    expect(decideCommandError(new E.StripeInvalidRequestError({ message: "No such payment_intent", code: "resource_missing" } as never)).kind).toBe("fatal");
  });
});

describe("refund outcomes", () => {
  test("succeeded, failed (or canceled) and still pending", () => {
    expect(decideRefundObject({ id: "re_1", status: "succeeded", failure_reason: undefined } as never)).toEqual({ kind: "refunded", gatewayRefundId: "re_1" });
    expect(decideRefundObject({ id: "re_2", status: "failed", failure_reason: "expired_or_canceled_card" } as never)).toEqual({
      kind: "refund_failed",
      gatewayRefundId: "re_2",
      reason: "expired_or_canceled_card",
    });
    expect(decideRefundObject({ id: "re_3", status: "pending" } as never)).toMatchObject({ kind: "pending", gatewayRefundId: "re_3" });
  });

  test("the gateway refusing the amount fails the refund; our refund is found in a list by its metadata", () => {
    expect(decideCommandError(new E.StripeInvalidRequestError({ message: "greater than unrefunded", code: "amount_too_large" } as never))).toMatchObject({ kind: "refund_failed", gatewayRefundId: null });
    expect(decideCommandError(new E.StripeInvalidRequestError({ message: "already refunded", code: "charge_already_refunded" } as never)).kind).toBe("refund_failed");
    const answer = (refunds: unknown[]) => ({ intents: [], refunds, replayed: false, response: { status: 200, body: null, requestId: null }, durationMs: 1 }) as never;
    const mine = { id: "re_g", status: "succeeded", metadata: { refund_id: "re_ours" } };
    expect(ofRefundList(answer([{ id: "re_x", status: "succeeded", metadata: { refund_id: "re_other" } }, mine]), "re_ours")).toEqual({ kind: "refunded", gatewayRefundId: "re_g" });
    expect(ofRefundList(answer([]), "re_ours")).toEqual({ kind: "not_found" });
  });
});
