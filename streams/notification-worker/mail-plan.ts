/**
 * Which customer mail a PaymentResult asks for, as a pure function of the record: the
 * template, the send-once key (notifications.status, migration 0014) and the Message-ID.
 *
 *   decision (kind absent | "decided")  APPROVED   → approved   APPROVED          <pay-approved@>
 *                                       DENIED     → denied     DENIED            <pay-denied@>
 *                                       AUTHORIZED → no mail (held; the capture mails)
 *   captured                                       → captured   CAPTURED          <pay-captured@>
 *   refund_succeeded                               → refund     REFUND:<refund>   <pay-refund-<refund>@>
 *   canceled, refund_failed                        → no mail (nothing was taken from the customer)
 *
 * The key and the Message-ID depend on the record alone, so every delivery of it (a
 * redelivery, a retry, a resend after a crash) lands on the same notification row and
 * carries the same Message-ID. The Message-IDs of approved and denied mails are read by the
 * chaos run: they do not move.
 */
import type { PaymentResult } from "../../shared/events.ts";

export type MailName = "approved" | "denied" | "captured" | "refund";
export type NotificationStatus = "APPROVED" | "DENIED" | "CAPTURED" | `REFUND:${string}`;
export type NotificationKey = { readonly paymentId: string; readonly status: NotificationStatus };

/** Why a record needs no customer mail: a bounded metric label. */
export type NoMailReason = "held" | "canceled" | "refund_failed";

export type MailPlan =
  | {
      readonly action: "send";
      readonly mail: MailName;
      readonly key: NotificationKey;
      readonly messageId: string;
      /** The refund the mail is about (refund mails only). */
      readonly refundId?: string;
    }
  | { readonly action: "none"; readonly reason: NoMailReason }
  /** A record that contradicts itself: poison, never guessed at. */
  | { readonly action: "invalid"; readonly why: string };

/** The metric label of a mail: bounded (a refund's key names its refund; its label does not). */
export const mailLabel = (mail: MailName): string => (mail === "refund" ? "REFUND" : mail.toUpperCase());

/** Stable per (payment, mail): a resend after a crash is recognisably the same mail. */
export const messageIdFor = (paymentId: string, what: string, domain: string): string => `<${paymentId}-${what}@${domain}>`;

export function planMail(r: PaymentResult, domain: string): MailPlan {
  const send = (mail: MailName, status: NotificationStatus, what: string, refundId?: string): MailPlan => ({
    action: "send",
    mail,
    key: { paymentId: r.paymentId, status },
    messageId: messageIdFor(r.paymentId, what, domain),
    ...(refundId !== undefined ? { refundId } : {}),
  });
  switch (r.kind ?? "decided") {
    case "decided":
      if (r.status === "APPROVED") return send("approved", "APPROVED", "approved");
      if (r.status === "DENIED") return send("denied", "DENIED", "denied");
      if (r.status === "AUTHORIZED") return { action: "none", reason: "held" };
      return { action: "invalid", why: `a decision cannot leave a payment ${r.status}` };
    case "captured":
      if (r.status !== "APPROVED") return { action: "invalid", why: `a capture leaves the payment APPROVED, not ${r.status}` };
      return send("captured", "CAPTURED", "captured");
    case "refund_succeeded":
      if (r.refundId === undefined) return { action: "invalid", why: "a refund_succeeded record without its refundId" };
      return send("refund", `REFUND:${r.refundId}`, `refund-${r.refundId}`, r.refundId);
    case "canceled":
      return { action: "none", reason: "canceled" };
    case "refund_failed":
      return { action: "none", reason: "refund_failed" };
  }
}
