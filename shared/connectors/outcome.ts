/**
 * What an answer means, whichever connector gave it. Pure: no I/O, unit-tested.
 *
 * The rule that matters most: only an answer that says what happened to the card is final.
 * Timeouts, resets, 5xx and soft declines say nothing about the card, so they are retried
 * (and the next attempt first asks the gateway what it holds). Failing over to another
 * connector is allowed only when the attempt is known not to have been processed.
 */
import type { Answer, GatewayError, GatewayPayment, GatewayRefund } from "./types.ts";

export type Decision =
  | { readonly kind: "approved"; readonly gatewayRef: string }
  /** A manual payment's authorization: the funds are held, a capture follows. */
  | { readonly kind: "authorized"; readonly gatewayRef: string }
  | { readonly kind: "denied"; readonly declineCode: string; readonly gatewayRef: string; readonly soft?: boolean }
  /**
   * `failover`: the attempt is known not to have been processed, so another connector may be
   * tried; `soft`: a soft decline (the card was not charged; another connector may pass it).
   */
  | { readonly kind: "retry"; readonly reason: string; readonly failover?: boolean; readonly soft?: boolean }
  | { readonly kind: "fatal"; readonly reason: string };

const softDecline = (code: string, ref: string | undefined) => `soft decline ${code}${ref ? ` (${ref})` : ""}: a processing error, not the card's answer`;

/** A payment the gateway holds, for a payment of `captureMethod`. */
export function decidePayment(p: GatewayPayment, captureMethod: "automatic" | "manual"): Decision {
  switch (p.status) {
    case "succeeded":
      return { kind: "approved", gatewayRef: p.ref };
    case "authorized":
      if (captureMethod === "manual") return { kind: "authorized", gatewayRef: p.ref };
      return { kind: "fatal", reason: `${p.ref} is held for capture, yet the payment is captured automatically` };
    case "declined":
      // A soft decline (a processing error) is the processor's hiccup, not the card's answer.
      if (p.soft) return { kind: "retry", reason: softDecline(p.declineCode ?? "processing_error", p.ref), soft: true };
      return { kind: "denied", declineCode: p.declineCode ?? "generic_decline", gatewayRef: p.ref };
    // A server-side charge cannot complete a customer challenge (3-D Secure).
    case "requires_action":
      return { kind: "denied", declineCode: "authentication_required", gatewayRef: p.ref };
    case "canceled":
      return { kind: "denied", declineCode: "canceled", gatewayRef: p.ref };
    case "processing":
      // Only a later read learns the end: a replayed create would say "processing" forever.
      return { kind: "retry", reason: `${p.ref} is processing` };
    default:
      // A state this platform never leaves a payment in: somebody else touched it; an operator decides.
      return { kind: "fatal", reason: `${p.ref} is ${p.detail}, which this worker never asks for` };
  }
}

/** A failed create (or a retrieve that answered for it). */
export function decideError(e: GatewayError): Decision {
  switch (e.class) {
    case "declined":
      if (e.soft) return { kind: "retry", reason: softDecline(e.declineCode ?? e.code, e.payment?.ref), soft: true };
      return { kind: "denied", declineCode: e.declineCode ?? e.code, gatewayRef: e.payment?.ref ?? "none" };
    case "not_processed":
      return { kind: "retry", reason: `not processed: ${e.message}`, failover: true };
    case "ambiguous":
    case "retry":
      return { kind: "retry", reason: `gateway ${e.code}: ${e.message}` };
    case "fatal":
      return { kind: "fatal", reason: e.message };
    default:
      return { kind: "fatal", reason: `gateway refused the request (${e.code}): ${e.message}` };
  }
}

/** A failed look-up says nothing about the card: retry, unless the gateway refuses the look-up itself. */
export function decideLookupError(e: GatewayError): Decision {
  if (e.class === "fatal") return { kind: "fatal", reason: e.message };
  if (e.class === "not_found" || e.class === "refused" || e.class === "declined")
    return { kind: "fatal", reason: `gateway refused the look-up (${e.code}): ${e.message}` };
  return { kind: "retry", reason: `gateway look-up failed (${e.code}): ${e.message}`, ...(e.class === "not_processed" ? { failover: true } : {}) };
}

/**
 * Of every payment the gateway holds for one of ours, the one that tells its outcome: a
 * success wins (the money moved), then a held authorization, then one still processing,
 * then the newest.
 */
export function decisivePayment(payments: readonly GatewayPayment[]): GatewayPayment | undefined {
  const first = (status: GatewayPayment["status"]) => payments.find((p) => p.status === status);
  return first("succeeded") ?? first("authorized") ?? first("processing") ?? payments[0];
}

export type CommandDecision =
  | { readonly kind: "captured"; readonly amount: number }
  /** The authorization is void (our cancel, or the gateway's own after its hold expired). */
  | { readonly kind: "canceled" }
  /** The payment is still held: a capture or cancel may go out. */
  | { readonly kind: "capturable" }
  | { readonly kind: "refunded"; readonly gatewayRefundId: string }
  | { readonly kind: "refund_failed"; readonly gatewayRefundId: string | null; readonly reason: string }
  /** The gateway accepted the command and is still at it (a pending refund, an asynchronous modification). */
  | { readonly kind: "pending"; readonly gatewayRefundId: string | null; readonly reason: string }
  /** The object is not in the state the command expected: look it up. */
  | { readonly kind: "lookup"; readonly reason: string }
  | { readonly kind: "not_found" }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "fatal"; readonly reason: string };

/** A payment as a capture or cancel sees it. */
export function decidePaymentForCommand(p: GatewayPayment): CommandDecision {
  switch (p.status) {
    case "succeeded":
      return { kind: "captured", amount: p.amountCaptured };
    case "canceled":
      return { kind: "canceled" };
    case "authorized":
      return { kind: "capturable" };
    case "processing":
      return { kind: "retry", reason: `${p.ref} is processing` };
    default:
      return { kind: "fatal", reason: `${p.ref} is ${p.detail}: neither held, captured nor canceled` };
  }
}

export function decideRefund(r: GatewayRefund): CommandDecision {
  switch (r.status) {
    case "succeeded":
      return { kind: "refunded", gatewayRefundId: r.ref };
    case "failed":
      return { kind: "refund_failed", gatewayRefundId: r.ref, reason: r.failureReason ?? "failed" };
    default:
      return { kind: "pending", gatewayRefundId: r.ref, reason: `refund ${r.ref} is pending` };
  }
}

/** An error answer to a capture, cancel or refund. */
export function decideCommandError(e: GatewayError): CommandDecision {
  switch (e.class) {
    case "unexpected_state":
      return { kind: "lookup", reason: e.message };
    case "refused":
      return { kind: "refund_failed", gatewayRefundId: null, reason: `${e.code}: ${e.message}` };
    case "not_found":
      return { kind: "fatal", reason: `the gateway has no such object: ${e.message}` };
    case "fatal":
      return { kind: "fatal", reason: e.message };
    default:
      return { kind: "retry", reason: `gateway ${e.code}: ${e.message}` };
  }
}

/** A capture's or cancel's answer: the payment it returned, or what its error says. */
export const ofPaymentCommand = (a: Answer): CommandDecision =>
  a.error !== undefined
    ? decideCommandError(a.error)
    : a.payments[0]
      ? decidePaymentForCommand(a.payments[0])
      : { kind: "pending", gatewayRefundId: null, reason: "the gateway received the command" };

/** A refund create's or retrieve's answer. */
export const ofRefund = (a: Answer): CommandDecision =>
  a.error !== undefined
    ? decideCommandError(a.error)
    : a.refunds[0]
      ? decideRefund(a.refunds[0])
      : { kind: "pending", gatewayRefundId: null, reason: "the gateway received the refund" };

/** A list of the payment's refunds: ours is the one that names our refund. */
export function ofRefundList(a: Answer, refundId: string): CommandDecision {
  if (a.error !== undefined) {
    const d = decideCommandError(a.error);
    return d.kind === "fatal" ? d : { kind: "retry", reason: `gateway look-up failed: ${"reason" in d ? d.reason : d.kind}` };
  }
  const ours = a.refunds.find((r) => r.refundId === refundId);
  return ours ? decideRefund(ours) : { kind: "not_found" };
}
