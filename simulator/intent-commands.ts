/**
 * Capture and cancel of a PaymentIntent (docs.stripe.com/api/payment_intents/capture and
 * /cancel), run inside the endpoint: a refusal here is an answer the idempotency layer saves,
 * with the intent attached, as Stripe's payment_intent_unexpected_state is.
 */
import type { CancelParams, CaptureParams, MetadataUpdate } from "./command-params.ts";
import { invalidRequest } from "./errors.ts";
import { errorWith, ok, type Executed } from "./executed.ts";
import type { ChargeLedger } from "./ledger.ts";
import type { CancellationReason, PaymentIntent } from "./objects.ts";

/** Card authorizations stay capturable for 7 days (docs.stripe.com/payments/place-a-hold-on-a-payment-method). */
export const AUTHORIZATION_VALID_MS = 7 * 24 * 60 * 60 * 1000;

const CANCELABLE: ReadonlySet<string> = new Set(["requires_payment_method", "requires_capture", "requires_confirmation", "requires_action"]);

const CAPTURE_TOO_LARGE = "The payment could not be captured because the requested capture amount is greater than the amount you can capture for this charge.";

export function captureIntent(pi: PaymentIntent, p: CaptureParams, key: string | null, ledger: ChargeLedger): Executed {
  if (pi.status !== "requires_capture") {
    return errorWith(
      pi,
      invalidRequest(
        `This PaymentIntent could not be captured because it has a status of ${pi.status}. ` +
          "Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
        "payment_intent_unexpected_state",
      ).body,
    );
  }
  const amount = p.amountToCapture ?? pi.amount_capturable;
  if (amount > pi.amount_capturable) return errorWith(pi, invalidRequest(CAPTURE_TOO_LARGE, "amount_too_large", "amount_to_capture").body);
  applyMetadata(pi, p.metadata);
  // A partial capture releases the rest: nothing stays capturable.
  pi.status = "succeeded";
  pi.amount_received = amount;
  pi.amount_capturable = 0;
  ledger.recordCharge(pi.id, key, amount);
  return ok(pi);
}

export function cancelIntent(pi: PaymentIntent, p: CancelParams, nowSeconds: number, ledger: ChargeLedger): Executed {
  if (!CANCELABLE.has(pi.status)) {
    return errorWith(
      pi,
      invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the ` +
          "following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.",
        "payment_intent_unexpected_state",
      ).body,
    );
  }
  markCanceled(pi, p.reason, nowSeconds, ledger);
  return ok(pi);
}

/** Also the gateway's own cancel of an authorization left uncaptured (reason `automatic`). */
export function markCanceled(pi: PaymentIntent, reason: CancellationReason | null, atSeconds: number, ledger: ChargeLedger): void {
  if (pi.status === "requires_capture") ledger.recordRelease(pi.id);
  pi.status = "canceled";
  pi.canceled_at = atSeconds;
  pi.cancellation_reason = reason;
  pi.amount_capturable = 0;
  pi.next_action = null;
}

function applyMetadata(pi: PaymentIntent, m: MetadataUpdate): void {
  if (m === null) return;
  const next: Record<string, string> = m.clear ? {} : { ...pi.metadata };
  for (const [k, v] of Object.entries(m.set)) {
    if (v === "") delete next[k];
    else next[k] = v;
  }
  pi.metadata = next;
}
