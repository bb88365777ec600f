/** Builds a customer mail: subject, HTML part, text part. Which mail it is comes from mail-plan.ts. */
import type { PaymentResult } from "../../shared/events.ts";
import { customerDeclineReason } from "./decline-reasons.ts";
import type { MailName } from "./mail-plan.ts";
import { formatAmount } from "./money.ts";
import { renderTemplate, type TemplatePair, type Templates } from "./render.ts";
import type { PaymentForMail, RefundForMail } from "./store.ts";

export type ComposedMail = { readonly subject: string; readonly html: string; readonly text: string };

/** What a mail is written from: the record, the payment as stored, and the refund of a refund mail. */
export type MailFacts = { readonly payment: PaymentForMail; readonly result: PaymentResult; readonly refund?: RefundForMail };

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" });

/** Headers are one line: a merchant name with control characters must not fold or inject one. */
const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();

type Parts = { readonly subject: string; readonly values: Record<string, string> };

export function composeMail(templates: Templates, mail: MailName, facts: MailFacts): ComposedMail {
  const { payment, result } = facts;
  // Every value is plain text here; renderTemplate escapes each one for the HTML part.
  const common: Record<string, string> = {
    customerName: payment.customer_name?.trim() || "there",
    merchantName: payment.merchant_name,
    paymentId: payment.id,
    decidedAt: `${dateFormat.format(new Date(result.decidedAt))} UTC`,
  };
  const parts = PARTS[mail](facts);
  const t: TemplatePair = templates[mail];
  const values = { ...common, ...parts.values };
  return {
    subject: oneLine(parts.subject),
    html: renderTemplate(t.html, values, "html"),
    text: renderTemplate(t.text, values, "text"),
  };
}

const PARTS: Readonly<Record<MailName, (f: MailFacts) => Parts>> = {
  approved: ({ payment }) => {
    const amount = formatAmount(payment.amount, payment.currency);
    return { subject: `Payment approved: ${amount} to ${payment.merchant_name}`, values: { amount } };
  },
  denied: ({ payment, result }) => {
    const amount = formatAmount(payment.amount, payment.currency);
    return { subject: `Payment declined: ${amount} to ${payment.merchant_name}`, values: { amount, reason: customerDeclineReason(result.declineCode) } };
  },
  captured: ({ payment, result }) => {
    // The record carries the captured amount; the row has it too (set once, by the capture).
    const captured = result.amount ?? payment.amount_captured;
    const amount = formatAmount(captured, payment.currency);
    const held = formatAmount(payment.amount, payment.currency);
    const heldNote =
      captured < payment.amount
        ? `${held} was held on your card; only ${amount} was taken, and the remaining ${formatAmount(payment.amount - captured, payment.currency)} has been released.`
        : `This is the full amount that was held on your card.`;
    return { subject: `Payment captured: ${amount} to ${payment.merchant_name}`, values: { amount, heldAmount: held, heldNote } };
  },
  refund: ({ payment, refund }) => {
    if (refund === undefined) throw new Error("a refund mail needs its refund");
    const amount = formatAmount(refund.amount, refund.currency);
    const paid = payment.amount_captured;
    const refundedNote =
      refund.refunded_through >= paid
        ? `Your payment of ${formatAmount(paid, refund.currency)} has now been refunded in full.`
        : `${formatAmount(refund.refunded_through, refund.currency)} of your payment of ${formatAmount(paid, refund.currency)} has now been refunded.`;
    return {
      subject: `Refund: ${amount} from ${payment.merchant_name}`,
      values: { amount, paidAmount: formatAmount(paid, refund.currency), refundedNote, refundId: refund.id },
    };
  },
};
