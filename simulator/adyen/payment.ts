/**
 * One Adyen payment as the simulator keeps it, and what is said about it: the /payments answer
 * and the admin view. Its state machine is drawn once, in simulator/README.md ("Adyen mode",
 * Routes), and enforced by payments.ts (authorise, time) and modifications.ts (the rest).
 */
import type { Amount } from "./fields.ts";
import type { PaymentParams } from "./payment-params.ts";
import type { AdyenCard, Outcome } from "./test-cards.ts";

export type PaymentStatus = "received" | "authorised" | "refused" | "captured" | "cancelled" | "expired";
export type ModificationStatus = "received" | "succeeded" | "failed";

export type Modification = {
  pspReference: string;
  kind: "capture" | "cancel" | "refund" | "reversal" | "technical_cancel";
  amount: Amount | null;
  reference: string | null;
  status: ModificationStatus;
  /** Why it failed (the webhook's `reason`). */
  reason: string | null;
  at: number;
};

export type AdyenPayment = {
  pspReference: string;
  merchantReference: string;
  merchantAccount: string;
  /** Our payment id: metadata.payment_id, else the merchant reference. */
  paymentId: string;
  amount: Amount;
  metadata: Record<string, string>;
  shopperReference: string | null;
  paymentMethod: PaymentParams["paymentMethod"];
  card: AdyenCard;
  outcome: Outcome;
  status: PaymentStatus;
  captureMode: "immediate" | "manual" | "delayed";
  /** captureDelayHours in ms, for a delayed automatic capture. */
  captureDelayMs: number;
  /** The Idempotency-Key of the /payments request: what an automatic capture counts under. */
  key: string | null;
  createdAt: number;
  authorisedAt: number | null;
  captured: number;
  modifications: Modification[];
};

export const paymentIdOf = (p: { merchantReference: string; metadata: Record<string, string> }): string => p.metadata.payment_id ?? p.merchantReference;

/** What fault rules and the request log match on: the metadata, the reference, and our payment id. */
export function matchFields(p: { merchantReference: string; metadata: Record<string, string> }): Record<string, string> {
  return { merchantReference: p.merchantReference, ...p.metadata, payment_id: paymentIdOf(p) };
}

/** The /payments answer: the outcome at the time of the request (a replay repeats it, as on Adyen). */
export function paymentResponse(p: AdyenPayment) {
  return {
    additionalData: { paymentMethod: p.paymentMethod.brand, ...(p.outcome.resultCode === "Authorised" ? { authCode: authCode(p) } : {}) },
    amount: { ...p.amount },
    merchantReference: p.merchantReference,
    paymentMethod: { brand: p.paymentMethod.brand, type: "scheme" },
    pspReference: p.pspReference,
    resultCode: p.outcome.resultCode,
    ...(p.outcome.refusalReason !== undefined ? { refusalReason: p.outcome.refusalReason, refusalReasonCode: p.outcome.refusalReasonCode } : {}),
  };
}

const authCode = (p: AdyenPayment) => p.pspReference.replace(/\D/g, "").padEnd(6, "0").slice(0, 6);

export const refundsOf = (p: AdyenPayment) =>
  p.modifications.filter((m) => m.kind === "refund" || ((m.kind === "reversal" || m.kind === "technical_cancel") && m.amount !== null));
/** Refunds that hold money: still being processed, or done (`except`: the one being decided). */
export const refundedOrPending = (p: AdyenPayment, except?: Modification): number =>
  refundsOf(p)
    .filter((m) => m !== except && m.status !== "failed")
    .reduce((n, m) => n + (m.amount?.value ?? 0), 0);

/** The simulator's view of a payment (GET /__admin/payments…): not an Adyen API, see README "Finding out what happened". */
export function paymentView(p: AdyenPayment) {
  const capturable = p.status === "authorised" && p.captureMode !== "immediate" ? p.amount.value : 0;
  return {
    pspReference: p.pspReference,
    merchantReference: p.merchantReference,
    merchantAccount: p.merchantAccount,
    paymentId: p.paymentId,
    metadata: { ...p.metadata },
    amount: { ...p.amount },
    status: p.status,
    resultCode: p.outcome.resultCode,
    refusalReason: p.outcome.refusalReason ?? null,
    refusalReasonCode: p.outcome.refusalReasonCode ?? null,
    captureMode: p.captureMode,
    createdAt: p.createdAt,
    authorisedAt: p.authorisedAt,
    captured: p.captured,
    capturable,
    refunded: refundsOf(p)
      .filter((m) => m.status === "succeeded")
      .reduce((n, m) => n + (m.amount?.value ?? 0), 0),
    modifications: p.modifications.map((m) => ({ ...m, amount: m.amount && { ...m.amount } })),
  };
}
