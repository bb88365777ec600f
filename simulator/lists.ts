/**
 * Stripe's list semantics (docs.stripe.com/api/pagination), shared by GET /v1/payment_intents
 * and GET /v1/refunds: newest first; `limit` 1–100 (default 10); `starting_after` /
 * `ending_before` cursors naming an object of the filtered list (one of them at most);
 * `created` as a Unix timestamp (that second exactly) or a range `created[gt|gte|lt|lte]`
 * (docs.stripe.com/api/payment_intents/list). Parameters are checked before anything is
 * read, as the other parameters are (params.ts).
 */
import { invalidRequest, resourceMissing } from "./errors.ts";
import type { FormObject, FormValue } from "./form.ts";
import { rejectUnknown, str } from "./params.ts";

/** Bounds in Unix seconds; each one absent means unbounded on that side. */
export type CreatedFilter = { gt?: number; gte?: number; lt?: number; lte?: number };

export type Page = { limit: number; startingAfter: string | null; endingBefore: string | null; created: CreatedFilter | null };

const RANGE = ["gt", "gte", "lt", "lte"] as const;
const TIMESTAMP = /^\d{1,12}$/;

export function listLimit(raw: string | null): number {
  if (raw === null) return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw invalidRequest("This value must be between 1 and 100.", "parameter_invalid_integer", "limit");
  return n;
}

function timestamp(v: FormValue, param: string): number {
  if (typeof v !== "string" || !TIMESTAMP.test(v))
    throw invalidRequest(`Invalid integer: ${typeof v === "string" ? v : param}`, "parameter_invalid_integer", param);
  return Number(v);
}

export function parseCreated(v: FormValue | undefined): CreatedFilter | null {
  if (v === undefined) return null;
  if (typeof v === "string") {
    const at = timestamp(v, "created");
    return { gte: at, lte: at };
  }
  if (Array.isArray(v)) throw invalidRequest("Invalid hash", "parameter_invalid_integer", "created");
  const filter: CreatedFilter = {};
  for (const [k, bound] of Object.entries(v)) {
    if (!(RANGE as readonly string[]).includes(k)) throw invalidRequest(`Received unknown parameter: created[${k}]`, "parameter_unknown", `created[${k}]`);
    filter[k as (typeof RANGE)[number]] = timestamp(bound, `created[${k}]`);
  }
  return filter;
}

export const inCreated = (f: CreatedFilter | null, created: number): boolean =>
  f === null ||
  ((f.gt === undefined || created > f.gt) &&
    (f.gte === undefined || created >= f.gte) &&
    (f.lt === undefined || created < f.lt) &&
    (f.lte === undefined || created <= f.lte));

/** The paging parameters of a list whose other parameters are `own` (checked by the caller). */
export function parsePage(query: FormObject, own: readonly string[]): Page {
  rejectUnknown(query, ["limit", "starting_after", "ending_before", "created", "expand", ...own]);
  const startingAfter = str(query, "starting_after", 255);
  const endingBefore = str(query, "ending_before", 255);
  if (startingAfter !== null && endingBefore !== null) {
    throw invalidRequest("You may only specify one of these parameters: ending_before, starting_after.", "parameters_exclusive", "ending_before");
  }
  return { limit: listLimit(str(query, "limit", 10)), startingAfter, endingBefore, created: parseCreated(query.created) };
}

/**
 * One page of `newest` (already filtered, newest first): after or before the cursor, at most
 * `limit`, and whether more lie in that direction. `what` names the object in a 400 for an
 * unknown cursor.
 */
export function page<T extends { id: string }>(newest: readonly T[], p: Page, what: string): { data: T[]; hasMore: boolean } {
  const cursor = p.startingAfter ?? p.endingBefore;
  const at = cursor === null ? -1 : newest.findIndex((o) => o.id === cursor);
  if (cursor !== null && at < 0) throw resourceMissing(what, cursor, p.startingAfter !== null ? "starting_after" : "ending_before", 400);
  const start = p.endingBefore !== null ? Math.max(0, at - p.limit) : at + 1;
  const end = p.endingBefore !== null ? at : start + p.limit;
  return { data: newest.slice(start, end), hasMore: p.endingBefore !== null ? start > 0 : end < newest.length };
}
