/**
 * Adyen's standard webhooks as GatewayNotices (../types.ts), for the receiver of
 * `POST /webhooks/adyen`: every item's HMAC checked (webhook.ts), then each event in the
 * platform's words. Pure, node:crypto only: it runs on Bun (the API) and Node.
 *
 * - AUTHORISATION: the payment (merchantReference = our payment id). `success: "true"` is
 *   reported as `authorized`: Adyen's event says the card authorised the amount, not whether
 *   it was captured; that depends on the payment's capture method, which the event does not
 *   carry (an automatic payment is captured at authorisation). The receiver holds the
 *   payment row and reads it as `succeeded` for an automatic payment (`capturedIfAutomatic`). A refusal is
 *   `declined` with the decline code of its reason (normalize.ts).
 * - CAPTURE, CANCELLATION (and CAPTURE_FAILED, a capture that failed after it was
 *   reported): the command's outcome, `ref` = the payment's pspReference (originalReference).
 *   Adyen's merchantReference on a modification's event is the payment's, so the event does
 *   not name our command: `commandId` is null, and `modificationRef` (the capture's or
 *   cancel's pspReference, which the worker recorded when Adyen received it) does.
 * - REFUND, REFUND_FAILED, REFUNDED_REVERSED: the refund, `refund.ref` = the modification's
 *   pspReference, the gateway refund id the connector returned when it sent the refund.
 * - the rest (CANCEL_OR_REFUND and TECHNICAL_CANCEL, which the platform never sends,
 *   chargebacks, reports, …): acknowledged and ignored.
 */
import type { GatewayNotice, GatewayPayment } from "../types.ts";
import { declineOf } from "./refusals.ts";
import { isHmacKeyHex, parseAdyenNotification, verifyAdyenNotification, WebhookRejected, type AdyenNotification } from "./webhook.ts";

const paymentOfAuthorisation = (n: AdyenNotification): GatewayPayment =>
  n.success
    ? { ref: n.pspReference, status: "authorized", amountCaptured: 0, detail: "AUTHORISATION" }
    : {
        ref: n.pspReference,
        status: "declined",
        amountCaptured: 0,
        ...declineOf(undefined, n.reason ?? undefined),
        detail: `AUTHORISATION refused: ${n.reason ?? "no reason given"}`,
      };

function originalOf(n: AdyenNotification): string {
  if (n.originalReference === null) throw new WebhookRejected(`${n.eventCode} ${n.pspReference} names no originalReference (the payment it modifies)`);
  return n.originalReference;
}

export function noticeOf(n: AdyenNotification): GatewayNotice {
  const base = { connector: "adyen" as const, eventId: n.eventId, type: n.eventCode, paymentId: n.merchantReference };
  const amount = n.amount?.value ?? null;
  switch (n.eventCode) {
    case "AUTHORISATION":
      if (n.amount === null) throw new WebhookRejected(`AUTHORISATION ${n.pspReference} has no amount expressible in the platform's minor units`);
      return {
        ...base,
        about: { kind: "payment", payment: paymentOfAuthorisation(n), amount: n.amount.value, currency: n.amount.currency, capturedIfAutomatic: true },
      };
    case "CAPTURE":
    case "CAPTURE_FAILED":
      return {
        ...base,
        about: {
          kind: "capture",
          success: n.eventCode === "CAPTURE" && n.success,
          ref: originalOf(n),
          modificationRef: n.pspReference,
          commandId: null,
          amount,
          reason: n.reason,
        },
      };
    case "CANCELLATION":
      return {
        ...base,
        about: { kind: "cancel", success: n.success, ref: originalOf(n), modificationRef: n.pspReference, commandId: null, amount: null, reason: n.reason },
      };
    case "REFUND":
    case "REFUND_FAILED":
    case "REFUNDED_REVERSED": {
      const ok = n.eventCode === "REFUND" && n.success;
      const refund = ok
        ? { ref: n.pspReference, status: "succeeded" as const }
        : { ref: n.pspReference, status: "failed" as const, failureReason: n.reason ?? n.eventCode };
      return { ...base, about: { kind: "refund", refund, ref: originalOf(n), commandId: null, amount } };
    }
    default:
      return { ...base, about: { kind: "ignored" } };
  }
}

/** The receiver's entry point: the raw body in, every item verified, the notices out; anything else is WebhookRejected. */
export function adyenWebhooks(hmacKeyHex: string) {
  if (!isHmacKeyHex(hmacKeyHex)) throw new Error("the Adyen HMAC key must be hex (an even number of hex digits, 32 to 256)");
  return {
    verify(rawBody: string): GatewayNotice[] {
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        throw new WebhookRejected("the body is not JSON");
      }
      const events = parseAdyenNotification(body);
      // The connector only ever talks to Adyen's test environment: a live event is about nothing of ours.
      if (events.some((n) => n.live)) throw new WebhookRejected("a live-environment notification; this platform uses Adyen's test environment only");
      const unsigned = events.find((n) => !verifyAdyenNotification(n.item, hmacKeyHex));
      if (unsigned) throw new WebhookRejected(`the HMAC signature of ${unsigned.eventCode} ${unsigned.pspReference} does not verify`);
      return events.map(noticeOf);
    },
  };
}
