/** Builds the customer mail for a final payment: subject, HTML part, text part. */
import type { PaymentResult } from "../../shared/events.ts";
import { customerDeclineReason } from "./decline-reasons.ts";
import { formatAmount } from "./money.ts";
import { renderTemplate, type TemplateName, type TemplatePair } from "./render.ts";
import type { PaymentForMail } from "./store.ts";

export type ComposedMail = { readonly subject: string; readonly html: string; readonly text: string };

const dateFormat = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" });

/** Headers are one line: a merchant name with control characters must not fold or inject one. */
const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();

export function composeMail(templates: Readonly<Record<TemplateName, TemplatePair>>, payment: PaymentForMail, result: PaymentResult): ComposedMail {
  const amount = formatAmount(payment.amount, payment.currency);
  const values: Record<string, string> = {
    customerName: payment.customer_name?.trim() || "there",
    merchantName: payment.merchant_name,
    amount,
    paymentId: payment.id,
    decidedAt: `${dateFormat.format(new Date(result.decidedAt))} UTC`,
  };
  const approved = result.status === "APPROVED";
  if (!approved) values.reason = customerDeclineReason(result.declineCode);
  const t = templates[approved ? "approved" : "denied"];
  return {
    subject: oneLine(`${approved ? "Payment approved" : "Payment declined"}: ${amount} to ${payment.merchant_name}`),
    html: renderTemplate(t.html, values, "html"),
    text: renderTemplate(t.text, values, "text"),
  };
}

/** Stable per (payment, status): a resend after a crash is recognisably the same mail. */
export const messageIdFor = (paymentId: string, status: PaymentResult["status"], domain: string): string =>
  `<${paymentId}-${status.toLowerCase()}@${domain}>`;
