/**
 * What a gateway answer means for a capture, cancel or refund command. Pure: no I/O,
 * unit-tested. As for charges, only an answer that says what the gateway did is final; an
 * answer that says the object is in an unexpected state is resolved by looking the object
 * up (`lookup`), never by sending another command.
 */
import Stripe from "stripe";
import type { Answer } from "../types.ts";
import { decideError } from "./outcome.ts";

export type CommandDecision =
  | { readonly kind: "captured"; readonly amount: number }
  /** The authorization is void (our cancel, or the gateway's own after its hold expired). */
  | { readonly kind: "canceled" }
  /** The intent is still held: a capture or cancel may go out. */
  | { readonly kind: "capturable" }
  | { readonly kind: "refunded"; readonly gatewayRefundId: string }
  | { readonly kind: "refund_failed"; readonly gatewayRefundId: string | null; readonly reason: string }
  /** The gateway is still at it (a refund pending): ask again later. */
  | { readonly kind: "pending"; readonly gatewayRefundId: string | null; readonly reason: string }
  /** The object is not in the state the command expected: look it up. */
  | { readonly kind: "lookup"; readonly reason: string }
  | { readonly kind: "not_found" }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "fatal"; readonly reason: string };

/** An intent as a capture or cancel sees it. */
export function decideIntentForCommand(pi: Pick<Stripe.PaymentIntent, "id" | "status" | "amount_received">): CommandDecision {
  switch (pi.status) {
    case "succeeded":
      return { kind: "captured", amount: pi.amount_received };
    case "canceled":
      return { kind: "canceled" };
    case "requires_capture":
      return { kind: "capturable" };
    case "processing":
      return { kind: "retry", reason: `payment intent ${pi.id} is processing` };
    default:
      return { kind: "fatal", reason: `payment intent ${pi.id} is ${pi.status}: neither held, captured nor canceled` };
  }
}

export function decideRefundObject(re: Pick<Stripe.Refund, "id" | "status" | "failure_reason">): CommandDecision {
  switch (re.status) {
    case "succeeded":
      return { kind: "refunded", gatewayRefundId: re.id };
    case "failed":
    case "canceled":
      return { kind: "refund_failed", gatewayRefundId: re.id, reason: re.failure_reason ?? re.status };
    default: // pending, requires_action
      return { kind: "pending", gatewayRefundId: re.id, reason: `refund ${re.id} is ${re.status}` };
  }
}

/** An error answer to a capture, cancel or refund. */
export function decideCommandError(err: unknown): CommandDecision {
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    if (err.code === "payment_intent_unexpected_state") return { kind: "lookup", reason: err.message };
    if (err.code === "amount_too_large" || err.code === "charge_already_refunded" || err.code === "charge_not_refundable") {
      return { kind: "refund_failed", gatewayRefundId: null, reason: `${err.code}: ${err.message}` };
    }
    if (err.code === "resource_missing") return { kind: "fatal", reason: `the gateway has no such object: ${err.message}` };
  }
  const d = decideError(err);
  return d.kind === "fatal" ? d : { kind: "retry", reason: d.kind === "retry" ? d.reason : `gateway answered ${d.kind}` };
}

/** A capture or cancel's answer: the intent it returned, or what its error says. */
export const ofIntentCommand = (a: Answer): CommandDecision => (a.error !== undefined ? decideCommandError(a.error) : decideIntentForCommand(a.intents[0]!));

/** A refund create's or retrieve's answer. */
export const ofRefund = (a: Answer): CommandDecision => (a.error !== undefined ? decideCommandError(a.error) : decideRefundObject(a.refunds[0]!));

/** A list of the intent's refunds: ours is the one whose metadata names our refund. */
export function ofRefundList(a: Answer, refundId: string): CommandDecision {
  if (a.error !== undefined) {
    const d = decideCommandError(a.error);
    return d.kind === "fatal" ? d : { kind: "retry", reason: `gateway look-up failed: ${"reason" in d ? d.reason : d.kind}` };
  }
  const ours = a.refunds.find((r) => r.metadata?.refund_id === refundId);
  return ours ? decideRefundObject(ours) : { kind: "not_found" };
}
