/**
 * Validation of PaymentIntent parameters, with Stripe's error codes and params. These run
 * before the endpoint executes, so (as on Stripe) their 400s are not saved under the
 * idempotency key and a corrected retry with the same key is processed.
 */
import { MAXIMUM_AMOUNT, MINIMUM_AMOUNT, SUPPORTED_CURRENCIES } from "./currencies.ts";
import { invalidRequest, type StripeHttpError } from "./errors.ts";
import type { FormObject, FormValue } from "./form.ts";

export type ConfirmParams = {
  paymentMethod: string | null;
  returnUrl: string | null;
  errorOnRequiresAction: boolean;
};

export type CreateParams = ConfirmParams & {
  amount: number;
  currency: string;
  confirm: boolean;
  metadata: Record<string, string>;
  description: string | null;
  paymentMethodTypes: string[] | null;
  automaticPaymentMethods: { enabled: boolean; allow_redirects: "always" | "never" } | null;
  captureMethod: "automatic" | "automatic_async" | "manual";
};

// Accepted so an SDK call that sets them is not refused; the simulator ignores their effect.
const PASSIVE = [
  "customer",
  "confirmation_method",
  "receipt_email",
  "statement_descriptor",
  "statement_descriptor_suffix",
  "off_session",
  "expand",
  "use_stripe_sdk",
  "payment_method_options",
  "shipping",
  "transfer_group",
  "on_behalf_of",
  "application_fee_amount",
  "transfer_data",
  "radar_options",
  "mandate_data",
  "setup_future_usage",
  "excluded_payment_method_types",
  "payment_method_configuration",
];
// `allowed_payment_method_types` is the name in the API version stripe@23 pins (2026-10-28.endive);
// `payment_method_types` is the name older versions use. Both mean the same here.
const CREATE = [
  "amount",
  "currency",
  "payment_method",
  "confirm",
  "metadata",
  "description",
  "payment_method_types",
  "allowed_payment_method_types",
  "automatic_payment_methods",
  "capture_method",
  "return_url",
  "error_on_requires_action",
  ...PASSIVE,
];
const CONFIRM = ["payment_method", "return_url", "error_on_requires_action", "capture_method", ...PASSIVE];

export const missing = (p: string): StripeHttpError => invalidRequest(`Missing required param: ${p}.`, "parameter_missing", p);

export function rejectUnknown(form: FormObject, allowed: readonly string[]): void {
  for (const k of Object.keys(form)) {
    if (!allowed.includes(k)) throw invalidRequest(`Received unknown parameter: ${k}`, "parameter_unknown", k);
  }
}

export function str(form: FormObject, p: string, max = 5000): string | null {
  const v = form[p];
  if (v === undefined) return null;
  if (typeof v !== "string") throw invalidRequest(`Invalid string: ${p}`, "parameter_invalid_string", p);
  if (v.length > max) throw invalidRequest(`Invalid string: ${p} is longer than ${max} characters`, "parameter_invalid_string", p);
  return v;
}

function bool(v: FormValue | undefined, p: string): boolean {
  if (v === undefined || v === "false") return false;
  if (v === "true") return true;
  throw invalidRequest(`Invalid boolean: ${typeof v === "string" ? v : p}`, "parameter_invalid_boolean", p);
}

function amountOf(form: FormObject, currency: string): number {
  const raw = form.amount;
  if (raw === undefined) throw missing("amount");
  if (typeof raw !== "string" || !/^-?\d+$/.test(raw)) {
    throw invalidRequest(`Invalid integer: ${typeof raw === "string" ? raw : "amount"}`, "parameter_invalid_integer", "amount");
  }
  const n = Number(raw);
  if (n < 1) throw invalidRequest("This value must be greater than or equal to 1.", "parameter_invalid_integer", "amount");
  if (n > MAXIMUM_AMOUNT) throw invalidRequest(`Amount must be no more than ${MAXIMUM_AMOUNT} ${currency}`, "amount_too_large", "amount");
  const min = MINIMUM_AMOUNT[currency];
  if (min !== undefined && n < min) throw invalidRequest(`Amount must be at least ${min} ${currency}`, "amount_too_small", "amount");
  return n;
}

/** `keepEmpty`: an update keeps `key=""` (it unsets that key on the object). */
export function metadataOf(v: FormValue | undefined, keepEmpty = false): Record<string, string> {
  if (v === undefined || v === "") return {};
  if (typeof v !== "object" || Array.isArray(v)) throw invalidRequest("Invalid hash", "parameter_invalid_string", "metadata");
  const entries = Object.entries(v);
  if (entries.length > 50) throw invalidRequest("You can have at most 50 metadata keys.", undefined, "metadata");
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    if (typeof val !== "string") throw invalidRequest(`Invalid string: metadata[${k}]`, "parameter_invalid_string", `metadata[${k}]`);
    if (k.length > 40) throw invalidRequest("Metadata keys can have up to 40 characters.", undefined, `metadata[${k}]`);
    if (val.length > 500) throw invalidRequest("Metadata values can have up to 500 characters.", undefined, `metadata[${k}]`);
    if (val !== "" || keepEmpty) out[k] = val; // an empty value unsets the key on Stripe
  }
  return out;
}

function typesOf(form: FormObject): string[] | null {
  const param = form.allowed_payment_method_types !== undefined ? "allowed_payment_method_types" : "payment_method_types";
  const v = form[param];
  if (v === undefined) return null;
  if (form.allowed_payment_method_types !== undefined && form.payment_method_types !== undefined) {
    throw invalidRequest("You may only specify one of these parameters: allowed_payment_method_types, payment_method_types.", "parameters_exclusive", param);
  }
  if (!Array.isArray(v) || !v.every((t) => typeof t === "string")) throw invalidRequest("Invalid array", undefined, param);
  for (const t of v) {
    if (t !== "card") throw invalidRequest(`The payment method type "${t}" is not supported by this simulator.`, undefined, param);
  }
  return v as string[];
}

function apmOf(v: FormValue | undefined): CreateParams["automaticPaymentMethods"] {
  if (v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw invalidRequest("Invalid hash", undefined, "automatic_payment_methods");
  const enabled = bool(v.enabled, "automatic_payment_methods[enabled]");
  if (v.enabled === undefined) throw missing("automatic_payment_methods[enabled]");
  const ar = v.allow_redirects ?? "always";
  if (ar !== "always" && ar !== "never") {
    throw invalidRequest(
      `Invalid automatic_payment_methods[allow_redirects]: must be one of always or never`,
      undefined,
      "automatic_payment_methods[allow_redirects]",
    );
  }
  return { enabled, allow_redirects: ar };
}

function captureOf(form: FormObject): CreateParams["captureMethod"] {
  const v = str(form, "capture_method") ?? "automatic_async";
  if (v === "automatic" || v === "automatic_async" || v === "manual") return v;
  throw invalidRequest("Invalid capture_method: must be one of automatic, automatic_async, or manual", undefined, "capture_method");
}

export function parseConfirm(form: FormObject): ConfirmParams {
  rejectUnknown(form, CONFIRM);
  return {
    paymentMethod: str(form, "payment_method", 255),
    returnUrl: str(form, "return_url", 2048),
    errorOnRequiresAction: bool(form.error_on_requires_action, "error_on_requires_action"),
  };
}

export function parseCreate(form: FormObject): CreateParams {
  rejectUnknown(form, CREATE);
  const cur = str(form, "currency", 3);
  if (cur === null) throw missing("currency");
  const currency = cur.toLowerCase();
  if (!SUPPORTED_CURRENCIES.has(currency)) {
    throw invalidRequest(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...SUPPORTED_CURRENCIES].join(", ")}`,
      undefined,
      "currency",
    );
  }
  const paymentMethodTypes = typesOf(form);
  const automaticPaymentMethods = apmOf(form.automatic_payment_methods);
  if (paymentMethodTypes && automaticPaymentMethods?.enabled) {
    throw invalidRequest(
      "You may only specify one of these parameters: automatic_payment_methods, allowed_payment_method_types.",
      "parameters_exclusive",
      "automatic_payment_methods",
    );
  }
  return {
    ...parseConfirm(Object.fromEntries(Object.entries(form).filter(([k]) => CONFIRM.includes(k)))),
    amount: amountOf(form, currency),
    currency,
    confirm: bool(form.confirm, "confirm"),
    metadata: metadataOf(form.metadata),
    description: str(form, "description", 1000),
    paymentMethodTypes,
    automaticPaymentMethods,
    captureMethod: captureOf(form),
  };
}
