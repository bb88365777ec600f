/**
 * Parameters of capture, cancel and the Refunds API, as stripe-node's types name them
 * (PaymentIntentCaptureParams, PaymentIntentCancelParams, RefundCreateParams,
 * RefundListParams). Like params.ts, these checks run before the endpoint executes: their
 * 400s are not saved under the idempotency key.
 */
import { MAXIMUM_AMOUNT } from "./currencies.ts";
import { invalidRequest } from "./errors.ts";
import type { FormObject } from "./form.ts";
import type { CancellationReason } from "./objects.ts";
import { parsePage, type Page } from "./lists.ts";
import { metadataOf, missing, rejectUnknown, str } from "./params.ts";

/** `null`: leave the metadata alone; `""` values unset a key; `clear` unsets them all. */
export type MetadataUpdate = { clear: boolean; set: Record<string, string> } | null;
export type CaptureParams = { amountToCapture: number | null; metadata: MetadataUpdate };
export type CancelParams = { reason: Exclude<CancellationReason, "automatic"> | null };
export type RefundReason = "duplicate" | "fraudulent" | "requested_by_customer";
export type RefundCreateParams = {
  amount: number | null;
  paymentIntent: string | null;
  charge: string | null;
  reason: RefundReason | null;
  metadata: Record<string, string>;
};
export type RefundListParams = Page & {
  paymentIntent: string | null;
  charge: string | null;
};

// Accepted so an SDK call that sets them is not refused; the simulator ignores their effect.
const CAPTURE = [
  "amount_to_capture",
  "metadata",
  "expand",
  "amount_details",
  "application_fee_amount",
  "final_capture",
  "hooks",
  "payment_details",
  "statement_descriptor",
  "statement_descriptor_suffix",
  "transfer_data",
];
const CANCEL = ["cancellation_reason", "expand"];
const REFUND = [
  "amount",
  "payment_intent",
  "charge",
  "reason",
  "metadata",
  "expand",
  "currency",
  "customer",
  "instructions_email",
  "origin",
  "refund_application_fee",
  "reverse_transfer",
];

const CANCEL_REASONS = ["duplicate", "fraudulent", "requested_by_customer", "abandoned"] as const;
const REFUND_REASONS = ["duplicate", "fraudulent", "requested_by_customer"] as const;

function positiveAmount(form: FormObject, p: string): number | null {
  const raw = form[p];
  if (raw === undefined) return null;
  if (typeof raw !== "string" || !/^-?\d+$/.test(raw)) {
    throw invalidRequest(`Invalid integer: ${typeof raw === "string" ? raw : p}`, "parameter_invalid_integer", p);
  }
  const n = Number(raw);
  if (n < 1) throw invalidRequest("This value must be greater than or equal to 1.", "parameter_invalid_integer", p);
  if (n > MAXIMUM_AMOUNT) throw invalidRequest(`This value must be less than or equal to ${MAXIMUM_AMOUNT}.`, "parameter_invalid_integer", p);
  return n;
}

function oneOf<T extends string>(form: FormObject, p: string, allowed: readonly T[]): T | null {
  const v = str(form, p);
  if (v === null) return null;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw invalidRequest(`Invalid ${p}: must be one of ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}`, undefined, p);
}

function metadataUpdate(form: FormObject): MetadataUpdate {
  if (form.metadata === undefined) return null;
  if (form.metadata === "") return { clear: true, set: {} };
  return { clear: false, set: metadataOf(form.metadata, true) };
}

export function parseCapture(form: FormObject): CaptureParams {
  rejectUnknown(form, CAPTURE);
  // Multicapture is not modeled: a capture always releases what it does not take.
  if (form.final_capture === "false") {
    throw invalidRequest("Multicapture is not available on this simulator: final_capture must be true.", undefined, "final_capture");
  }
  return { amountToCapture: positiveAmount(form, "amount_to_capture"), metadata: metadataUpdate(form) };
}

export function parseCancel(form: FormObject): CancelParams {
  rejectUnknown(form, CANCEL);
  return { reason: oneOf(form, "cancellation_reason", CANCEL_REASONS) };
}

export function parseRefundCreate(form: FormObject): RefundCreateParams {
  rejectUnknown(form, REFUND);
  const paymentIntent = str(form, "payment_intent", 255);
  const charge = str(form, "charge", 255);
  // Stripe names `charge` when neither is given.
  if (paymentIntent === null && charge === null) throw missing("charge");
  return {
    amount: positiveAmount(form, "amount"),
    paymentIntent,
    charge,
    reason: oneOf(form, "reason", REFUND_REASONS),
    metadata: metadataOf(form.metadata),
  };
}

export function parseRefundList(query: FormObject): RefundListParams {
  return {
    ...parsePage(query, ["payment_intent", "charge"]),
    paymentIntent: str(query, "payment_intent", 255),
    charge: str(query, "charge", 255),
  };
}
