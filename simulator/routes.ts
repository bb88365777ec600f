/**
 * The /v1 routes: which endpoint a request reaches, its parameters (checked before it
 * executes, so refusals are not saved), what a read answers, and which PaymentIntent a
 * request is about (its metadata drives fault rules and the request log).
 */
import { parseCancel, parseCapture, parseRefundCreate, parseRefundList } from "./command-params.ts";
import { invalidRequest } from "./errors.ts";
import type { Executed } from "./executed.ts";
import type { FormObject, FormValue } from "./form.ts";
import { listLimit, parsePage } from "./lists.ts";
import { parseConfirm, parseCreate, str } from "./params.ts";
import type { SimulatorState } from "./state.ts";

export type Route =
  | { kind: "create" }
  | { kind: "confirm"; id: string }
  | { kind: "capture"; id: string }
  | { kind: "cancel"; id: string }
  | { kind: "retrieve"; id: string }
  | { kind: "search" }
  | { kind: "list" }
  | { kind: "refund" }
  | { kind: "refund_retrieve"; id: string }
  | { kind: "refund_list" };

const INTENT_COMMAND = /^\/v1\/payment_intents\/([^/]+)\/(confirm|capture|cancel)$/;

export function routeOf(method: string, path: string): Route | null {
  const id = (m: RegExpExecArray) => decodeURIComponent(m[1] as string);
  if (method === "POST" && path === "/v1/payment_intents") return { kind: "create" };
  if (method === "GET" && path === "/v1/payment_intents/search") return { kind: "search" };
  if (method === "GET" && path === "/v1/payment_intents") return { kind: "list" };
  const command = INTENT_COMMAND.exec(path);
  if (method === "POST" && command) return { kind: command[2] as "confirm" | "capture" | "cancel", id: id(command) };
  const one = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
  if (method === "GET" && one) return { kind: "retrieve", id: id(one) };
  if (method === "POST" && path === "/v1/refunds") return { kind: "refund" };
  if (method === "GET" && path === "/v1/refunds") return { kind: "refund_list" };
  const refund = /^\/v1\/refunds\/([^/]+)$/.exec(path);
  if (method === "GET" && refund) return { kind: "refund_retrieve", id: id(refund) };
  return null;
}

/** Parses parameters now (refusals are not saved) and returns the endpoint to run. */
export function endpoint(route: Route, form: FormObject, state: SimulatorState, key: string | null): () => Executed {
  const expand = expandOf(form.expand);
  const expanded = (run: () => Executed) => () => withExpand(run(), expand, state);
  switch (route.kind) {
    case "create": {
      const p = parseCreate(form);
      return expanded(() => state.intents.create(p, key));
    }
    case "confirm": {
      const p = parseConfirm(form);
      state.intents.retrieve(route.id);
      return expanded(() => state.intents.confirm(route.id, p, key));
    }
    case "capture": {
      const p = parseCapture(form);
      state.intents.retrieve(route.id);
      return expanded(() => state.intents.capture(route.id, p, key));
    }
    case "cancel": {
      const p = parseCancel(form);
      state.intents.retrieve(route.id);
      return expanded(() => state.intents.cancel(route.id, p));
    }
    case "refund": {
      const p = parseRefundCreate(form);
      state.refunds.target(p);
      return () => state.refunds.create(p);
    }
    default:
      throw new Error(`not a POST endpoint: ${route.kind}`);
  }
}

/** What a GET answers (200), or a thrown StripeHttpError. */
export function read(route: Route, url: URL, query: FormObject, state: SimulatorState): unknown {
  switch (route.kind) {
    case "retrieve":
      return withExpand({ status: 200, body: state.intents.retrieve(route.id) }, expandOf(query.expand), state).body;
    case "search": {
      const q = parseSearchQuery(url.searchParams.get("query"));
      const data = state.intents.search(q.metadata, q.status).slice(0, listLimit(url.searchParams.get("limit")));
      return { object: "search_result", data, has_more: false, next_page: null, url: "/v1/payment_intents/search" };
    }
    case "list": {
      const p = parsePage(query, ["customer", "customer_account"]);
      return state.intents.list({ ...p, customer: str(query, "customer", 255) ?? str(query, "customer_account", 255) });
    }
    case "refund_retrieve":
      return state.refunds.retrieve(route.id);
    case "refund_list":
      return state.refunds.list(parseRefundList(query));
    default:
      throw new Error(`not a GET endpoint: ${route.kind}`);
  }
}

function expandOf(v: FormValue | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
}

/** `expand[]=latest_charge` turns the intent's charge id into the Charge object; other paths stay ids. */
function withExpand(executed: Executed, expand: string[], state: SimulatorState): Executed {
  const body = executed.body as { object?: string; latest_charge?: unknown };
  if (!expand.includes("latest_charge") || body?.object !== "payment_intent" || typeof body.latest_charge !== "string") return executed;
  return { ...executed, body: { ...body, latest_charge: state.refunds.charge(body.latest_charge) ?? body.latest_charge } };
}

/**
 * The metadata of the PaymentIntent a request is about (for fault rules and the request
 * log): the create's own; the intent's for its commands and reads; for a refund, the intent
 * it names (or its charge's); for a search, the metadata it asks for (plus what the
 * payment's intent carries, when it has one).
 */
export function metadataOf(route: Route | null, form: FormObject, query: FormObject, url: URL, state: SimulatorState): Record<string, string> | null {
  const ofIntent = (id: string | undefined) => (id === undefined ? null : (state.intents.find(id)?.metadata ?? null));
  const named = (f: FormObject) => {
    const pi = typeof f.payment_intent === "string" ? f.payment_intent : undefined;
    const ch = typeof f.charge === "string" ? state.intents.charge(f.charge)?.intentId : undefined;
    return ofIntent(pi ?? ch);
  };
  switch (route?.kind) {
    case "create": {
      const meta = form.metadata;
      if (typeof meta !== "object" || Array.isArray(meta)) return null;
      return Object.fromEntries(Object.entries(meta).filter((e): e is [string, string] => typeof e[1] === "string"));
    }
    case "confirm":
    case "capture":
    case "cancel":
    case "retrieve":
      return ofIntent(route.id);
    case "refund":
      return named(form);
    case "refund_list":
      return named(query);
    case "refund_retrieve":
      return ofIntent(state.refunds.intentOf(route.id));
    case "search":
      try {
        const asked = parseSearchQuery(url.searchParams.get("query")).metadata;
        return { ...(asked.payment_id ? state.intents.search({ payment_id: asked.payment_id }, null)[0]?.metadata : {}), ...asked };
      } catch {
        return null;
      }
    default:
      return null;
  }
}

/**
 * The part of Stripe's search query language a client needs to find an intent by its
 * metadata: clauses `metadata['key']:'value'` and `status:'value'` joined by AND.
 */
function parseSearchQuery(query: string | null): { metadata: Record<string, string>; status: string | null } {
  if (!query) throw invalidRequest("Missing required param: query.", "parameter_missing", "query");
  const metadata: Record<string, string> = {};
  let status: string | null = null;
  for (const clause of query.trim().split(/\s+AND\s+/)) {
    const meta = /^metadata\[(['"])([^'"]{1,40})\1\]:(['"])([^'"]*)\3$/.exec(clause);
    const st = /^status:(['"])([a-z_]+)\1$/.exec(clause);
    if (meta) metadata[meta[2]!] = meta[4]!;
    else if (st) status = st[2]!;
    else throw invalidRequest(`Invalid search query: ${query}. See the search query language documentation.`, "parameter_invalid_string", "query");
  }
  return { metadata, status };
}
