/**
 * The pure half of Adyen's standard webhooks (docs.adyen.com/development-resources/webhooks),
 * for the receiver of `POST /webhooks/adyen`: check each item's HMAC signature, and read the
 * body into neutral events. No I/O; node:crypto only, so it runs on Bun (the API) and Node.
 *
 * Signature (…/webhooks/secure-webhooks/verify-hmac-signatures): HMAC-SHA256 under the
 * hex-decoded HMAC key over
 *   pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success
 * (an absent field is empty), base64, in `additionalData.hmacSignature`, per item.
 *
 * What the events say about our commands: a modification's item has its own pspReference
 * and the payment's as `originalReference`; a refund's pspReference is the gateway refund id
 * the connector returned for it (gateway.ts). Adyen may deliver an event more than once and
 * out of order: `eventId` is stable across copies of one event.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ErrorClass } from "../types.ts";
import { fromAdyenAmount } from "./amounts.ts";

/** A NotificationRequestItem as Adyen sends it (only the fields read here). */
export interface NotificationItem {
  readonly pspReference: string;
  readonly originalReference?: string | null;
  readonly merchantAccountCode: string;
  readonly merchantReference?: string | null;
  readonly amount?: { readonly value: number; readonly currency: string } | null;
  readonly eventCode: string;
  readonly eventDate?: string;
  readonly success: "true" | "false";
  readonly reason?: string | null;
  readonly additionalData?: Readonly<Record<string, string>> | null;
}

export interface AdyenNotification {
  /**
   * The event's identity for de-duplication: pspReference, eventCode and success. Copies of
   * one event share it; the same event code with the other outcome (Adyen can report a
   * success that later fails, or the reverse) is a new event.
   */
  readonly eventId: string;
  readonly eventCode: string;
  readonly success: boolean;
  readonly pspReference: string;
  /** The payment's pspReference, on a modification's event. */
  readonly originalReference: string | null;
  /** The payment's reference (our payment id), on the payment's and its modifications' events. */
  readonly merchantReference: string | null;
  readonly merchantAccount: string;
  /** In the platform's minor units; null when absent, or not expressible in them. */
  readonly amount: { readonly value: number; readonly currency: string } | null;
  /** Why it failed, when success is false (Adyen's words). */
  readonly reason: string | null;
  readonly eventDate: string | null;
  readonly live: boolean;
  /** The item as received, for verifyAdyenNotification. */
  readonly item: NotificationItem;
}

/** A body or item that is not an Adyen notification, or whose signature does not verify. */
export class WebhookRejected extends Error {
  override name = "WebhookRejected";
}

/** The signed string, in Adyen's documented field order. */
export function signedPayload(
  i: Pick<NotificationItem, "pspReference" | "originalReference" | "merchantAccountCode" | "merchantReference" | "amount" | "eventCode" | "success">,
): string {
  return [
    i.pspReference,
    i.originalReference ?? "",
    i.merchantAccountCode,
    i.merchantReference ?? "",
    i.amount?.value ?? "",
    i.amount?.currency ?? "",
    i.eventCode,
    i.success,
  ].join(":");
}

const HEX_KEY = /^(?:[0-9a-fA-F]{2}){16,128}$/;
export const isHmacKeyHex = (key: string): boolean => HEX_KEY.test(key);

/** Adyen's signature of the item under the key; a key that is not hex is a configuration error (thrown, not a failed check). */
export function adyenSignature(item: NotificationItem, hmacKeyHex: string): string {
  if (!isHmacKeyHex(hmacKeyHex)) throw new Error("the Adyen HMAC key must be hex (an even number of hex digits, 32 to 256)");
  return createHmac("sha256", Buffer.from(hmacKeyHex, "hex")).update(signedPayload(item), "utf8").digest("base64");
}

/** True when the item carries Adyen's signature for it under this key (compared in constant time). */
export function verifyAdyenNotification(item: NotificationItem, hmacKeyHex: string): boolean {
  const given = item.additionalData?.hmacSignature;
  if (typeof given !== "string" || given.length === 0) return false;
  const expected = Buffer.from(adyenSignature(item, hmacKeyHex), "utf8");
  const actual = Buffer.from(given, "utf8");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const MAX_TEXT = 2_000;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function str(o: Record<string, unknown>, k: string, required: boolean): string | null {
  const v = o[k];
  if (v === undefined || v === null) {
    if (required) throw new WebhookRejected(`NotificationRequestItem.${k} is missing`);
    return null;
  }
  if (typeof v !== "string" || v.length > MAX_TEXT)
    throw new WebhookRejected(`NotificationRequestItem.${k} must be a string of at most ${MAX_TEXT} characters`);
  return v;
}

function item(raw: unknown): NotificationItem {
  if (!isObject(raw) || !isObject(raw.NotificationRequestItem))
    throw new WebhookRejected("each notificationItems entry must hold a NotificationRequestItem object");
  const o = raw.NotificationRequestItem;
  const success = str(o, "success", true);
  if (success !== "true" && success !== "false") throw new WebhookRejected(`NotificationRequestItem.success must be "true" or "false"`);
  const amount = o.amount;
  if (
    amount !== undefined &&
    amount !== null &&
    !(isObject(amount) && Number.isSafeInteger(amount.value) && typeof amount.currency === "string" && /^[A-Z]{3}$/.test(amount.currency))
  ) {
    throw new WebhookRejected("NotificationRequestItem.amount must be { value: integer, currency: ISO 4217 code }");
  }
  const additionalData = o.additionalData;
  if (additionalData !== undefined && additionalData !== null && !isObject(additionalData))
    throw new WebhookRejected("NotificationRequestItem.additionalData must be an object");
  // Kept as received: the signature is over these exact values.
  return o as unknown as NotificationItem;
}

/** The body of a standard webhook (JSON), as neutral events, in the order received. */
export function parseAdyenNotification(body: unknown): AdyenNotification[] {
  if (!isObject(body) || !Array.isArray(body.notificationItems) || body.notificationItems.length === 0 || body.notificationItems.length > 100) {
    throw new WebhookRejected("an Adyen notification is { live, notificationItems: [{ NotificationRequestItem }] }");
  }
  const live = body.live === "true" || body.live === true;
  return body.notificationItems.map((raw) => {
    const i = item(raw);
    const o = i as unknown as Record<string, unknown>;
    const pspReference = str(o, "pspReference", true)!;
    const eventCode = str(o, "eventCode", true)!;
    return {
      eventId: `${pspReference}:${eventCode}:${i.success}`,
      eventCode,
      success: i.success === "true",
      pspReference,
      originalReference: str(o, "originalReference", false) || null,
      merchantReference: str(o, "merchantReference", false) || null,
      merchantAccount: str(o, "merchantAccountCode", true)!,
      amount: i.amount ? (fromAdyenAmount(i.amount) ?? null) : null,
      reason: str(o, "reason", false) || null,
      eventDate: str(o, "eventDate", false),
      live,
      item: i,
    };
  });
}

const MODIFICATIONS = new Set(["CAPTURE", "CANCELLATION", "REFUND", "CANCEL_OR_REFUND", "TECHNICAL_CANCEL"]);

/**
 * What a failed modification's event means, in the connector interface's classes (Adyen
 * refuses a capture, cancel or refund in the webhook, not in the API's answer):
 * "Insufficient balance on payment" (more than is left to capture or refund) refuses the
 * command for good; any other failure means the payment was not in the state the command
 * needed (already captured, cancelled, expired, not yet authorised): look it up.
 * REFUND_FAILED is a refund that had succeeded and then failed: `refused` as well.
 * Undefined for an event that is no failed modification.
 */
export function failedModificationClass(
  n: Pick<AdyenNotification, "eventCode" | "success" | "reason">,
): Extract<ErrorClass, "refused" | "unexpected_state"> | undefined {
  if (n.eventCode === "REFUND_FAILED") return "refused";
  if (n.success || !MODIFICATIONS.has(n.eventCode)) return undefined;
  return /insufficient balance/i.test(n.reason ?? "") ? "refused" : "unexpected_state";
}
