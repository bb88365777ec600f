/**
 * The JSON shapes of the Refunds API (docs.stripe.com/api/refunds/object) and the minimal
 * Charge a PaymentIntent's `latest_charge` expands to (docs.stripe.com/api/charges/object):
 * its amount, what was captured and refunded, and whether it is fully refunded.
 */
import type { RefundReason } from "./command-params.ts";
import type { RefundStatus } from "./ledger.ts";
import type { PaymentIntent } from "./objects.ts";

export type RefundObject = {
  id: string;
  object: "refund";
  amount: number;
  balance_transaction: null;
  charge: string;
  created: number;
  currency: string;
  customer: null;
  customer_account: null;
  destination_details: { type: "card"; card: { type: "refund" } };
  /** Only once failed: lost_or_stolen_card, expired_or_canceled_card, declined, … */
  failure_reason?: string;
  metadata: Record<string, string>;
  payment_intent: string;
  payment_method: string | null;
  /** Only while pending. */
  pending_reason?: "processing";
  reason: RefundReason | null;
  receipt_number: null;
  source_transfer_reversal: null;
  status: RefundStatus;
  transfer_reversal: null;
};

export function refundObject(f: {
  id: string;
  amount: number;
  charge: string;
  created: number;
  pi: PaymentIntent;
  reason: RefundReason | null;
  metadata: Record<string, string>;
  status: RefundStatus;
}): RefundObject {
  return {
    id: f.id,
    object: "refund",
    amount: f.amount,
    balance_transaction: null,
    charge: f.charge,
    created: f.created,
    currency: f.pi.currency,
    customer: null,
    customer_account: null,
    destination_details: { type: "card", card: { type: "refund" } },
    metadata: f.metadata,
    payment_intent: f.pi.id,
    payment_method: f.pi.payment_method,
    ...(f.status === "pending" ? { pending_reason: "processing" as const } : {}),
    reason: f.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: f.status,
    transfer_reversal: null,
  };
}

/** Refunds that hold money: the remaining amount is what is left after these. */
export const holdsMoney = (r: RefundObject): boolean => r.status === "pending" || r.status === "requires_action" || r.status === "succeeded";

export function chargeObject(id: string, created: number, pi: PaymentIntent, refunds: RefundObject[]) {
  const failed = pi.last_payment_error?.charge === id || pi.latest_charge !== id;
  const captured = !failed && pi.amount_received > 0;
  // Like Stripe's amount_refunded, pending refunds count until they fail.
  const amountRefunded = refunds.filter((r) => r.charge === id && holdsMoney(r)).reduce((n, r) => n + r.amount, 0);
  const status = failed ? "failed" : pi.status === "processing" ? "pending" : "succeeded";
  return {
    id,
    object: "charge" as const,
    amount: pi.amount,
    amount_captured: captured ? pi.amount_received : 0,
    amount_refunded: amountRefunded,
    captured,
    created,
    currency: pi.currency,
    customer: null,
    description: pi.description,
    failure_code: failed ? (pi.last_payment_error?.code ?? null) : null,
    failure_message: failed ? (pi.last_payment_error?.message ?? null) : null,
    livemode: false as const,
    metadata: pi.metadata,
    paid: status === "succeeded",
    payment_intent: pi.id,
    payment_method: pi.payment_method,
    refunded: captured && amountRefunded >= pi.amount_received,
    status,
  };
}

/** Amounts the way Stripe writes them in refund errors: `$20.00`, `€7.50`, `¥500`. */
export function formatAmount(amount: number, currency: string): string {
  const format = new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() });
  return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}
