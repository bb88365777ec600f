/**
 * The /v1 request pipeline, in the order Stripe's stack applies it:
 * edge (outage, before-phase faults, latency) → authentication → routing and parameter
 * validation → idempotency layer → endpoint → after-phase faults on the way out.
 */
import {
  apiError, idempotencyKeyInUse, idempotencyMismatch, invalidRequest, StripeHttpError, unrecognizedUrl,
} from "./errors.ts";
import { EXCHANGE_ID_HEADER, type LoggedRequest } from "./request-log.ts";
import { canonical, FormError, parseForm, type FormObject } from "./form.ts";
import { activeOutage, decideFault, sampleLatency } from "./faults.ts";
import { checkApiKey, errorResponse, json } from "./http.ts";
import { MAX_KEY_LENGTH, type SavedResponse } from "./idempotency.ts";
import { parseConfirm, parseCreate } from "./params.ts";
import type { Executed } from "./payment-intents.ts";
import { beforeFaultResponse, withAfterFault, type Edge } from "./edge.ts";
import type { SimulatorState } from "./state.ts";

export type ApiDeps = {
  state: SimulatorState;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
};

type Route = { kind: "create" } | { kind: "confirm"; id: string } | { kind: "retrieve"; id: string } | { kind: "search" };

function routeOf(method: string, path: string): Route | null {
  if (method === "POST" && path === "/v1/payment_intents") return { kind: "create" };
  if (method === "GET" && path === "/v1/payment_intents/search") return { kind: "search" };
  const confirm = /^\/v1\/payment_intents\/([^/]+)\/confirm$/.exec(path);
  if (method === "POST" && confirm) return { kind: "confirm", id: decodeURIComponent(confirm[1] as string) };
  const one = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
  if (method === "GET" && one) return { kind: "retrieve", id: decodeURIComponent(one[1] as string) };
  return null;
}

/** What the log line, the request log and the edge need to know about one request. */
export type Trace = { key: string | null; fault: string | null; replayed: boolean; entry: LoggedRequest | null };

export async function handleApi(req: Request, path: string, deps: ApiDeps, trace: Trace): Promise<Response> {
  const { state } = deps;
  const requestId = state.ids("req").replace("req_3", "req_");
  const headers: Record<string, string> = { "Request-Id": requestId };
  const version = req.headers.get("Stripe-Version");
  if (version) headers["Stripe-Version"] = version;
  const route = routeOf(req.method, path);
  const url = new URL(req.url);
  const key = req.method === "POST" ? req.headers.get("Idempotency-Key") : null;
  trace.key = key;
  if (key !== null) headers["Idempotency-Key"] = key;

  let form: FormObject = {};
  let formError: string | null = null;
  try {
    form = parseForm(req.method === "POST" ? await req.text() : "");
  } catch (e) {
    if (!(e instanceof FormError)) throw e;
    formError = e.message;
  }
  const metadata = metadataOf(route, form, url, state);
  const paymentId = metadata?.payment_id ?? null;
  if (req.method === "POST") state.ledger.recordAttempt(paymentId, key);
  trace.entry = state.requests.begin({
    at: deps.now(), method: req.method, path, exchangeId: req.headers.get(EXCHANGE_ID_HEADER), idempotencyKey: key, paymentId,
  });

  const edge: Edge = { state, sleep: deps.sleep, headers };
  const outage = activeOutage(state.faults, deps.now());
  if (outage) {
    trace.fault = `outage/${outage.mode}`;
    return beforeFaultResponse(edge, { kind: outage.mode === "reset" ? "reset" : "503", phase: "before" });
  }
  const executes = route !== null && req.method === "POST";
  const fault = decideFault(state.faults, state.rng, executes, state.ruleHits, metadata);
  const latency = sampleLatency(state.faults.latency, state.rng);
  if (fault) trace.fault = `${fault.kind}/${fault.phase}`;
  if (fault?.phase === "before" || (fault?.phase === "stored" && !executes)) {
    await deps.sleep(latency);
    return beforeFaultResponse(edge, fault);
  }

  try {
    checkApiKey(req.headers.get("Authorization"));
    if (!route) throw unrecognizedUrl(req.method, path);
    if (formError !== null) throw invalidRequest(formError);
    if (route.kind === "retrieve") {
      await deps.sleep(latency);
      return json(200, state.intents.retrieve(route.id), headers);
    }
    if (route.kind === "search") {
      const q = parseSearchQuery(url.searchParams.get("query"));
      await deps.sleep(latency);
      const data = state.intents.search(q.metadata, q.status).slice(0, searchLimit(url.searchParams.get("limit")));
      return json(200, { object: "search_result", data, has_more: false, next_page: null, url: "/v1/payment_intents/search" }, headers);
    }
    if (key !== null && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
      throw invalidRequest(`Idempotency-Key must be between 1 and ${MAX_KEY_LENGTH} characters long.`);
    }
    const execute = endpoint(route, form, state, key);
    if (key !== null) {
      const begin = state.idempotency.begin(key, `${req.method} ${path} ${canonical(form)}`, deps.now());
      if (begin.kind === "mismatch") throw idempotencyMismatch(key);
      if (begin.kind === "in_use") throw idempotencyKeyInUse(key);
      if (begin.kind === "replay") {
        trace.replayed = true;
        await deps.sleep(latency);
        const replayHeaders = { ...headers, "Idempotent-Replayed": "true", "Original-Request": begin.saved.requestId };
        return withAfterFault(edge, fault, fromSaved(begin.saved, replayHeaders));
      }
    }
    let executed: Executed;
    try {
      await deps.sleep(latency); // processing time: the key stays claimed meanwhile
      // A stored fault: the endpoint failed inside before it charged, and Stripe keeps that 500 under the key.
      executed = fault?.phase === "stored" ? { status: 500, body: { error: apiError(500).body } } : execute();
    } catch (e) {
      if (key !== null) state.idempotency.release(key);
      throw e;
    }
    const saved: SavedResponse = { status: executed.status, body: JSON.stringify(executed.body), requestId };
    if (key !== null) state.idempotency.save(key, saved, deps.now());
    return withAfterFault(edge, fault, fromSaved(saved, { ...headers, "Original-Request": requestId }));
  } catch (e) {
    if (e instanceof StripeHttpError) return errorResponse(e, headers);
    throw e;
  }
}

/** Parses parameters now (refusals are not saved) and returns the endpoint to run. */
function endpoint(route: Route, form: FormObject, state: SimulatorState, key: string | null): () => Executed {
  if (route.kind === "create") {
    const p = parseCreate(form);
    return () => state.intents.create(p, key);
  }
  if (route.kind === "confirm") {
    const p = parseConfirm(form);
    state.intents.retrieve(route.id);
    return () => state.intents.confirm(route.id, p, key);
  }
  throw new Error(`not a POST endpoint: ${route.kind}`);
}

/**
 * The metadata of the PaymentIntent a request is about (for fault rules and the request
 * log): the create's own, the intent's for confirm and retrieve, and for a search the
 * metadata it asks for (plus what the payment's intent carries, when it has one).
 */
function metadataOf(route: Route | null, form: FormObject, url: URL, state: SimulatorState): Record<string, string> | null {
  if (route?.kind === "create") {
    const meta = form.metadata;
    if (typeof meta !== "object" || Array.isArray(meta)) return null;
    return Object.fromEntries(Object.entries(meta).filter((e): e is [string, string] => typeof e[1] === "string"));
  }
  if (route?.kind === "confirm" || route?.kind === "retrieve") return state.intents.find(route.id)?.metadata ?? null;
  if (route?.kind === "search") {
    try {
      const asked = parseSearchQuery(url.searchParams.get("query")).metadata;
      return { ...(asked.payment_id ? state.intents.search({ payment_id: asked.payment_id }, null)[0]?.metadata : {}), ...asked };
    } catch {
      return null;
    }
  }
  return null;
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

function searchLimit(raw: string | null): number {
  if (raw === null) return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw invalidRequest("This value must be between 1 and 100.", "parameter_invalid_integer", "limit");
  return n;
}

function fromSaved(saved: SavedResponse, headers: Record<string, string>): Response {
  return json(saved.status, saved.body, headers);
}
