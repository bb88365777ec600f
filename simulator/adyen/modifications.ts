/**
 * Captures, cancels, refunds, reversals and the technical cancel by merchant reference. On
 * Adyen a modification is asynchronous: the API only says `status: "received"` (HTTP 201) and
 * the outcome arrives as a CAPTURE / CANCELLATION / REFUND / CANCEL_OR_REFUND /
 * TECHNICAL_CANCEL notification with `success` true or false and a `reason`
 * (docs.adyen.com/online-payments/capture, /cancel, /refund, /reversal). The simulator decides
 * at once, inside the endpoint (so an after-phase fault means it happened), and sends the
 * notification. Adyen's accounting rules hold: a capture never takes more than was authorised,
 * and refunds together never exceed what was captured (docs.adyen.com/development-resources/api-idempotency).
 */
import type { Executed } from "../executed.ts";
import type { Amount } from "./fields.ts";
import type { ModificationParams, TechnicalCancelParams } from "./modification-params.ts";
import { refundedOrPending, type AdyenPayment, type Modification } from "./payment.ts";
import type { AdyenPayments } from "./payments.ts";

/** Wording of the failure reasons is the simulator's: Adyen documents the events, not these texts (README). */
const NOT_ENOUGH = "Insufficient balance on payment";
const CURRENCY = "Currency of the modification does not match the payment";
const why = (p: AdyenPayment, action: string): string => {
  switch (p.status) {
    case "refused":
      return `Payment was not authorised, it cannot be ${action}`;
    case "received":
      return `Payment is still being processed, it cannot be ${action} yet`;
    case "captured":
      return `Payment was already captured, it cannot be ${action}`;
    case "cancelled":
      return `Payment was cancelled, it cannot be ${action}`;
    case "expired":
      return `Authorisation expired, the payment cannot be ${action}`;
    case "authorised":
      return `Payment is not captured, it cannot be ${action}`;
  }
};

const holdsAuthorisation = (p: AdyenPayment) => p.status === "authorised" && p.captureMode !== "immediate";

export function modify(payments: AdyenPayments, p: AdyenPayment, params: ModificationParams, key: string | null): Executed {
  const m = begin(payments, p, params.kind, params.reference, params.amount);
  const event = { capture: "CAPTURE", cancel: "CANCELLATION", refund: "REFUND", reversal: "CANCEL_OR_REFUND" } as const;
  const reason = decide(payments, p, m, key);
  finish(payments, p, m, event[params.kind], reason);
  const money = m.kind === "capture" || m.kind === "refund" ? { amount: { ...params.amount! } } : {};
  return {
    status: 201,
    body: {
      merchantAccount: p.merchantAccount,
      paymentPspReference: p.pspReference,
      pspReference: m.pspReference,
      ...(m.reference !== null ? { reference: m.reference } : {}),
      status: "received",
      ...money,
    },
  };
}

/** POST /cancels: cancel (or, once captured, refund) the payment sent with this merchant reference, without its pspReference. */
export function technicalCancel(payments: AdyenPayments, params: TechnicalCancelParams): Executed {
  const target = payments
    .byReference(params.paymentReference)
    .filter((p) => p.merchantAccount === params.merchantAccount)
    .at(-1);
  const psp = payments.deps.psp();
  if (target) {
    const m = begin(payments, target, "technical_cancel", params.reference, null, psp);
    finish(payments, target, m, "TECHNICAL_CANCEL", decide(payments, target, m, null));
  }
  // Nothing found: the request is received all the same; there is no payment to notify about.
  return {
    status: 201,
    body: {
      merchantAccount: params.merchantAccount,
      paymentReference: params.paymentReference,
      pspReference: psp,
      ...(params.reference !== null ? { reference: params.reference } : {}),
      status: "received",
    },
  };
}

function begin(
  payments: AdyenPayments,
  p: AdyenPayment,
  kind: Modification["kind"],
  reference: string | null,
  amount: Amount | null,
  psp = payments.deps.psp(),
): Modification {
  const m: Modification = { pspReference: psp, kind, amount: amount && { ...amount }, reference, status: "received", reason: null, at: payments.deps.now() };
  p.modifications.push(m);
  payments.watch(p);
  return m;
}

/** Applies the modification if it can be; returns why not, or null. */
function decide(payments: AdyenPayments, p: AdyenPayment, m: Modification, key: string | null): string | null {
  const ledger = payments.deps.ledger;
  if (m.amount && m.amount.currency !== p.amount.currency) return CURRENCY;
  if (m.kind === "capture") {
    if (!holdsAuthorisation(p)) return why(p, "captured");
    if (m.amount!.value > p.amount.value) return NOT_ENOUGH;
    payments.capture(p, m.amount!.value, key);
    return null;
  }
  if (m.kind === "cancel" || ((m.kind === "reversal" || m.kind === "technical_cancel") && holdsAuthorisation(p))) {
    if (!holdsAuthorisation(p)) return why(p, "cancelled");
    p.status = "cancelled";
    ledger.recordRelease(p.pspReference);
    return null;
  }
  if (p.status !== "captured") return why(p, "refunded");
  const remaining = p.captured - refundedOrPending(p, m);
  if (m.kind !== "refund") m.amount = { value: remaining, currency: p.amount.currency };
  if (remaining <= 0 || m.amount!.value > remaining) return NOT_ENOUGH;
  const pending = p.card.refund === "pending";
  ledger.recordRefund(p.pspReference, { id: m.pspReference, amount: m.amount!.value, status: pending ? "pending" : "succeeded" });
  // A pending refund stays received until it settles (payments.ts), and its notification waits for that.
  return pending ? "pending" : null;
}

function finish(
  payments: AdyenPayments,
  p: AdyenPayment,
  m: Modification,
  eventCode: "CAPTURE" | "CANCELLATION" | "REFUND" | "CANCEL_OR_REFUND" | "TECHNICAL_CANCEL",
  reason: string | null,
): void {
  if (reason === "pending") return;
  m.status = reason === null ? "succeeded" : "failed";
  m.reason = reason;
  // A failed reversal moved nothing, so it is no refund: it must not count towards what was refunded.
  if (reason !== null && (m.kind === "reversal" || m.kind === "technical_cancel")) m.amount = null;
  const action = m.kind === "reversal" || m.kind === "technical_cancel" ? { "modification.action": m.amount === null ? "cancel" : "refund" } : undefined;
  payments.notify(p, eventCode, reason === null, reason, m, action);
}
