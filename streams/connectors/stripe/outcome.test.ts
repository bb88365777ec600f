import { describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { decideError, decideIntent, decideLookupError, decisiveIntent } from "./outcome.ts";

const E = Stripe.errors;
const cardError = (code: string, decline_code?: string) =>
  new E.StripeCardError({ type: "card_error", code, ...(decline_code ? { decline_code } : {}), message: "declined", payment_intent: { id: "pi_1" } } as never);

describe("gateway outcome", () => {
  test("a succeeded intent approves, a requires_payment_method intent denies with its decline code", () => {
    expect(decideIntent({ id: "pi_1", status: "succeeded", last_payment_error: null })).toEqual({ kind: "approved", gatewayRef: "pi_1" });
    expect(decideIntent({ id: "pi_2", status: "requires_payment_method", last_payment_error: { decline_code: "insufficient_funds" } as never })).toEqual({
      kind: "denied",
      declineCode: "insufficient_funds",
      gatewayRef: "pi_2",
    });
    expect(decideIntent({ id: "pi_3", status: "processing", last_payment_error: null }).kind).toBe("retry");
    // An intent a look-up finds after a processing error says nothing about the card either.
    expect(decideIntent({ id: "pi_6", status: "requires_payment_method", last_payment_error: { code: "processing_error", decline_code: "processing_error" } as never }).kind).toBe("retry");
    expect(decideIntent({ id: "pi_4", status: "canceled", last_payment_error: null })).toEqual({ kind: "denied", declineCode: "canceled", gatewayRef: "pi_4" });
    // States this worker never leaves an intent in: somebody else touched it, an operator decides.
    expect(decideIntent({ id: "pi_5", status: "requires_capture", last_payment_error: null }).kind).toBe("fatal");
    expect(decideIntent({ id: "pi_7", status: "requires_capture", capture_method: "manual", last_payment_error: null })).toEqual({ kind: "authorized", gatewayRef: "pi_7" });
  });

  test("of several intents for one payment, a success decides, then one still processing, then the newest", () => {
    const pi = (id: string, status: string) => ({ id, status, last_payment_error: null }) as never;
    expect(decisiveIntent([pi("new", "requires_payment_method"), pi("old", "succeeded")])).toMatchObject({ id: "old" });
    expect(decisiveIntent([pi("new", "requires_payment_method"), pi("old", "processing")])).toMatchObject({ id: "old" });
    expect(decisiveIntent([pi("new", "requires_payment_method"), pi("old", "canceled")])).toMatchObject({ id: "new" });
    expect(decisiveIntent([])).toBeUndefined();
  });

  test("a failed look-up decides nothing about the card: retried, unless the gateway refuses it as such", () => {
    expect(decideLookupError(new E.StripeAPIError({ message: "server error", statusCode: 500 } as never)).kind).toBe("retry");
    expect(decideLookupError(new E.StripeConnectionError({ message: "timeout" } as never)).kind).toBe("retry");
    expect(decideLookupError(new E.StripeInvalidRequestError({ message: "No such payment_intent", code: "resource_missing" } as never)).kind).toBe("fatal");
    expect(decideLookupError(new E.StripeAuthenticationError({ message: "Expired API Key" } as never)).kind).toBe("fatal");
  });

  test.each([
    ["card_declined", "insufficient_funds", "insufficient_funds"],
    ["card_declined", "fraudulent", "fraudulent"],
    ["card_declined", "generic_decline", "generic_decline"],
    ["card_declined", "lost_card", "lost_card"],
    ["card_declined", "stolen_card", "stolen_card"],
    ["expired_card", undefined, "expired_card"],
    ["incorrect_cvc", undefined, "incorrect_cvc"],
  ])("card error %s/%s is a final decline (%s)", (code, decline, expected) => {
    expect(decideError(cardError(code, decline))).toEqual({ kind: "denied", declineCode: expected, gatewayRef: "pi_1" });
  });

  test("timeouts, resets, 5xx, 429, processing_error and lock_timeout are retried, never read as declines", () => {
    const retried = [
      new E.StripeConnectionError({ message: "Request timed out" } as never),
      new E.StripeAPIError({ message: "server error", statusCode: 500 } as never),
      new E.StripeAPIError({ message: "unavailable", statusCode: 503 } as never),
      new E.StripeRateLimitError({ message: "slow down", code: "rate_limit" } as never),
      new E.StripeRateLimitError({ message: "lock", code: "lock_timeout" } as never),
      cardError("processing_error", "processing_error"),
      new Error("socket hang up"),
    ];
    for (const err of retried) expect(decideError(err).kind).toBe("retry");
  });

  test("a request that can never succeed as sent is declined; our own mistakes go to the DLQ", () => {
    expect(decideError(new E.StripeInvalidRequestError({ message: "No such PaymentMethod", code: "resource_missing", param: "payment_method" } as never))).toMatchObject({
      kind: "denied",
      declineCode: "invalid_payment_method",
    });
    expect(decideError(new E.StripeIdempotencyError({ message: "Keys for idempotent requests can only be used with the same parameters" } as never)).kind).toBe("fatal");
    expect(decideError(new E.StripeAuthenticationError({ message: "Invalid API Key" } as never)).kind).toBe("fatal");
  });
});
