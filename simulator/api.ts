/**
 * The /v1 request pipeline, in the order Stripe's stack applies it:
 * edge (outage, before-phase faults, latency) → authentication → routing and parameter
 * validation → idempotency layer → endpoint → after-phase faults on the way out.
 */
import { apiError, idempotencyKeyInUse, idempotencyMismatch, invalidRequest, StripeHttpError, unrecognizedUrl } from "./errors.ts";
import { EXCHANGE_ID_HEADER, type LoggedRequest } from "./request-log.ts";
import { canonical, FormError, parseForm, type FormObject } from "./form.ts";
import { activeOutage, decideFault, sampleLatency } from "./faults.ts";
import { checkApiKey, errorResponse, json } from "./http.ts";
import { MAX_KEY_LENGTH, type SavedResponse } from "./idempotency.ts";
import type { Executed } from "./executed.ts";
import { endpoint, metadataOf, read, routeOf } from "./routes.ts";
import { beforeFaultResponse, withAfterFault, type Edge } from "./edge.ts";
import type { SimulatorState } from "./state.ts";

export type ApiDeps = {
  state: SimulatorState;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
};

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
  let query: FormObject = {};
  let formError: string | null = null;
  try {
    form = parseForm(req.method === "POST" ? await req.text() : "");
    query = parseForm(url.search.slice(1));
  } catch (e) {
    if (!(e instanceof FormError)) throw e;
    formError = e.message;
  }
  const metadata = metadataOf(route, form, query, url, state);
  const paymentId = metadata?.payment_id ?? null;
  if (req.method === "POST") state.ledger.recordAttempt(paymentId, key);
  trace.entry = state.requests.begin({
    at: deps.now(),
    method: req.method,
    path,
    exchangeId: req.headers.get(EXCHANGE_ID_HEADER),
    idempotencyKey: key,
    paymentId,
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
    if (req.method === "GET") {
      const body = read(route, url, query, state);
      await deps.sleep(latency);
      return json(200, body, headers);
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

function fromSaved(saved: SavedResponse, headers: Record<string, string>): Response {
  return json(saved.status, saved.body, headers);
}
