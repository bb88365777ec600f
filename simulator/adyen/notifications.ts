/**
 * Adyen's standard webhook (docs.adyen.com/development-resources/webhooks): one POST per
 * event, `{ live: "false", notificationItems: [{ NotificationRequestItem: { … } }] }`, the
 * receiver answering `[accepted]`. Each item is signed with Adyen's HMAC scheme
 * (docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures):
 * HMAC-SHA256 under the hex-decoded key, over
 *   pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success
 * (an absent field is empty), base64, in `additionalData.hmacSignature`.
 */
import { createHmac } from "node:crypto";
import type { Amount } from "./fields.ts";

export type EventCode = "AUTHORISATION" | "CAPTURE" | "CANCELLATION" | "REFUND" | "REFUND_FAILED" | "CANCEL_OR_REFUND" | "TECHNICAL_CANCEL";

export type AdyenEvent = {
  eventCode: EventCode;
  success: boolean;
  pspReference: string;
  /** The payment's pspReference, on a modification's event. */
  originalReference: string | null;
  merchantReference: string;
  merchantAccountCode: string;
  amount: Amount;
  reason: string | null;
  /** Simulated clock, epoch ms: when it happened, which is not when it is delivered. */
  eventDate: number;
  paymentMethod: string;
  additionalData: Record<string, string>;
  /** Ours, for the delivery log; not sent. */
  paymentId: string;
};

export type NotificationItem = {
  additionalData: Record<string, string>;
  amount: Amount;
  eventCode: EventCode;
  eventDate: string;
  merchantAccountCode: string;
  merchantReference: string;
  originalReference?: string;
  paymentMethod: string;
  pspReference: string;
  reason: string;
  success: "true" | "false";
};

/** The signed payload of Adyen's standard webhooks, in Adyen's documented field order. */
export function signedPayload(
  i: Pick<NotificationItem, "pspReference" | "originalReference" | "merchantAccountCode" | "merchantReference" | "amount" | "eventCode" | "success">,
): string {
  return [
    i.pspReference,
    i.originalReference ?? "",
    i.merchantAccountCode,
    i.merchantReference,
    i.amount.value,
    i.amount.currency,
    i.eventCode,
    i.success,
  ].join(":");
}

export function hmacSignature(payload: string, hmacKeyHex: string): string {
  return createHmac("sha256", Buffer.from(hmacKeyHex, "hex")).update(payload, "utf8").digest("base64");
}

/** Adyen writes eventDate in ISO 8601 with an offset and no milliseconds, e.g. 2026-01-02T10:11:12+00:00. */
const isoSeconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "+00:00");

export function notificationItem(e: AdyenEvent, hmacKeyHex: string): NotificationItem {
  const item: NotificationItem = {
    additionalData: { ...e.additionalData },
    amount: { ...e.amount },
    eventCode: e.eventCode,
    eventDate: isoSeconds(e.eventDate),
    merchantAccountCode: e.merchantAccountCode,
    merchantReference: e.merchantReference,
    ...(e.originalReference !== null ? { originalReference: e.originalReference } : {}),
    paymentMethod: e.paymentMethod,
    pspReference: e.pspReference,
    reason: e.reason ?? "",
    success: e.success ? "true" : "false",
  };
  item.additionalData.hmacSignature = hmacSignature(signedPayload(item), hmacKeyHex);
  return item;
}

export function notificationBody(items: NotificationItem[]): string {
  return JSON.stringify({ live: "false", notificationItems: items.map((NotificationRequestItem) => ({ NotificationRequestItem })) });
}
