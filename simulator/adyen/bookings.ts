/**
 * What a payment's life books in Adyen's Payment accounting report: one record per status
 * change, with its record type, time and amount (docs.adyen.com/reporting/reports-and-the-payments-lifecycle
 * names the statuses this report carries: Received, Authorised, Refused, Error, SentForSettle,
 * Settled, Cancelled, Expired, SentForRefund, Refunded; RefundFailed is the scheme's late
 * refusal of a refund). Pure: derived from the payment as payments.ts and modifications.ts
 * left it, so the report needs no bookkeeping of its own, and a time-driven move (a delayed
 * capture, an expiry, a refund that fails an hour later) is booked when it happened on the
 * simulated clock, not when someone looked.
 *
 * Where Adyen's timing is not the simulator's to know, the simulator's own figures: a capture
 * is Settled a day after it was SentForSettle (SETTLEMENT_DELAY_MS), an asynchronous refund is
 * Refunded (or RefundFailed) ASYNC_REFUND_MS after it was SentForRefund.
 */
import type { Amount } from "./fields.ts";
import { refundsOf, type AdyenPayment, type Modification } from "./payment.ts";
import { ASYNC_REFUND_MS, AUTHORISATION_VALID_MS, SCHEME_REFUND_FAILURE } from "./payments.ts";

export type RecordType =
  | "Received"
  | "Authorised"
  | "Refused"
  | "Error"
  | "SentForSettle"
  | "Settled"
  | "Cancelled"
  | "Expired"
  | "SentForRefund"
  | "Refunded"
  | "RefundFailed";

export type Booking = {
  /** Simulated clock, epoch ms. */
  at: number;
  type: RecordType;
  amount: Amount;
  /** The capture, cancel or refund that booked it; null for what the payment itself did. */
  modification: Modification | null;
};

export const SETTLEMENT_DELAY_MS = 24 * 60 * 60 * 1000;

const succeededCapture = (p: AdyenPayment) => p.modifications.find((m) => m.kind === "capture" && m.status === "succeeded");
const succeededCancel = (p: AdyenPayment) =>
  p.modifications.find(
    (m) => m.status === "succeeded" && (m.kind === "cancel" || ((m.kind === "reversal" || m.kind === "technical_cancel") && m.amount === null)),
  );

function captureBookings(p: AdyenPayment): Booking[] {
  if (p.captured === 0 || p.authorisedAt === null) return [];
  const m = succeededCapture(p) ?? null;
  const at = m?.at ?? p.authorisedAt + (p.captureMode === "delayed" ? p.captureDelayMs : 0);
  const amount = { value: p.captured, currency: p.amount.currency };
  return [
    { at, type: "SentForSettle", amount, modification: m },
    { at: at + SETTLEMENT_DELAY_MS, type: "Settled", amount, modification: m },
  ];
}

/** A refund that was refused at once (more than remains, the wrong state) moved nothing and books nothing. */
function refundBookings(p: AdyenPayment, m: Modification): Booking[] {
  if (m.amount === null || (m.status === "failed" && m.reason !== SCHEME_REFUND_FAILURE)) return [];
  const sent: Booking = { at: m.at, type: "SentForRefund", amount: m.amount, modification: m };
  if (m.status === "received") return [sent];
  const later = m.at + ASYNC_REFUND_MS;
  const refundedAt = p.card.refund === "pending" ? later : m.at;
  const out: Booking[] = [sent, { at: refundedAt, type: "Refunded", amount: m.amount, modification: m }];
  if (m.status === "failed") out.push({ at: later, type: "RefundFailed", amount: m.amount, modification: m });
  return out;
}

/** The payment's bookings in the order they happened (records booked at the same moment keep their lifecycle order). */
export function bookingsOf(p: AdyenPayment): Booking[] {
  const own = (at: number, type: RecordType): Booking => ({ at, type, amount: { ...p.amount }, modification: null });
  const out: Booking[] = [own(p.createdAt, "Received")];
  if (p.outcome.resultCode === "Refused" || p.outcome.resultCode === "Error") out.push(own(p.createdAt, p.outcome.resultCode));
  if (p.authorisedAt !== null) out.push(own(p.authorisedAt, "Authorised"));
  out.push(...captureBookings(p));
  const cancel = succeededCancel(p);
  if (cancel) out.push({ ...own(cancel.at, "Cancelled"), modification: cancel });
  if (p.status === "expired" && p.authorisedAt !== null) out.push(own(p.authorisedAt + AUTHORISATION_VALID_MS, "Expired"));
  for (const m of refundsOf(p)) out.push(...refundBookings(p, m));
  return out
    .map((b, i) => ({ b, i }))
    .sort((x, y) => x.b.at - y.b.at || x.i - y.i)
    .map((x) => x.b);
}
