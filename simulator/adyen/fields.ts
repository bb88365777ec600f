/**
 * Reading one JSON request body field by field, with Adyen's refusals: every check runs
 * before the endpoint, so (as in Stripe mode) a refused request saves nothing under its
 * Idempotency-Key and a corrected retry with the same key runs.
 */
import { SUPPORTED_CURRENCIES } from "../currencies.ts";
import { invalidAmount, invalidField, required, unknownFields, unparsable, validation } from "./errors.ts";

export type Json = Record<string, unknown>;
export type Amount = { value: number; currency: string };

/** Large enough for any real payment, small enough to stay an exact integer. */
export const MAX_AMOUNT = 100_000_000_000;

export function parseBody(text: string): Json {
  let v: unknown;
  try {
    v = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw unparsable("Unable to parse message: the body is not valid JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw unparsable("Unable to parse message: the body must be a JSON object");
  return v as Json;
}

/** Adyen refuses fields its request type does not define (702), instead of silently ignoring a typo. */
export function onlyKnown(type: string, body: Json, allowed: ReadonlySet<string>): void {
  const unknown = Object.keys(body).filter((k) => !allowed.has(k));
  if (unknown.length > 0) throw unknownFields(type, unknown);
}

export function obj(body: Json, field: string): Json | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw invalidField(field, "must be an object");
  return v as Json;
}

export function str(body: Json, field: string, max: number, path = field): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalidField(path, "must be a string");
  if (v.length > max) throw invalidField(path, `must be at most ${max} characters`);
  return v;
}

export function requiredStr(body: Json, field: string, max: number, path = field): string {
  const v = str(body, field, max, path);
  if (v === undefined || v.trim() === "") throw required(path);
  return v;
}

/** `{ value, currency }` in minor units; Adyen's 137 for a value that is no whole number in range. */
export function amount(body: Json, field = "amount"): Amount {
  const a = obj(body, field);
  if (!a) throw required(field);
  const { value, currency } = a;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > MAX_AMOUNT) throw invalidAmount();
  if (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency)) throw invalidField(`${field}.currency`, "must be an ISO 4217 code in capitals");
  if (!SUPPORTED_CURRENCIES.has(currency.toLowerCase())) throw invalidField(`${field}.currency`, `${currency} is not supported`);
  return { value, currency };
}

/** Adyen's metadata limits (PaymentRequest.metadata): up to 20 keys ("177 Metadata size exceeds limit") of at most 20 characters, values of at most 80. */
export function metadata(body: Json): Record<string, string> {
  const m = obj(body, "metadata");
  if (!m) return {};
  const entries = Object.entries(m);
  if (entries.length > 20) throw validation("177", "Metadata size exceeds limit");
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 20) throw invalidField("metadata", `key "${k.slice(0, 40)}" must be 1 to 20 characters`);
    if (typeof v !== "string" || v.length > 80) throw invalidField(`metadata.${k}`, "must be a string of at most 80 characters");
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
