/**
 * The /v1 request pipeline, in the order Stripe's stack applies it:
 * edge (outage, before-phase faults, latency) → authentication → routing and parameter
 * validation → idempotency layer → endpoint → after-phase faults on the way out.
 */
import {
  idempotencyKeyInUse, idempotencyMismatch, invalidRequest, StripeHttpError, unrecognizedUrl,
} from "./errors.ts";
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

type Route = { kind: "create" } | { kind: "confirm"; id: string } | { kind: "retrieve"; id: string };

function routeOf(method: string, path: string): Route | null {
  if (method === "POST" && path === "/v1/payment_intents") return { kind: "create" };
  const confirm = /^\/v1\/payment_intents\/([^/]+)\/confirm$/.exec(path);
  if (method === "POST" && confirm) return { kind: "confirm", id: decodeURIComponent(confirm[1] as string) };
  const one = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
  if (method === "GET" && one) return { kind: "retrieve", id: decodeURIComponent(one[1] as string) };
  return null;
}

/** What the log line and the edge need to know about one request. */
export type Trace = { key: string | null; fault: string | null; replayed: boolean };

export async function handleApi(req: Request, path: string, deps: ApiDeps, trace: Trace): Promise<Response> {
  const { state } = deps;
  const requestId = state.ids("req").replace("req_3", "req_");
  const headers: Record<string, string> = { "Request-Id": requestId };
  const version = req.headers.get("Stripe-Version");
  if (version) headers["Stripe-Version"] = version;
  const route = routeOf(req.method, path);
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
  if (req.method === "POST") state.ledger.recordAttempt(paymentIdOf(route, form, state), key);

  const edge: Edge = { state, sleep: deps.sleep, headers };
  const outage = activeOutage(state.faults, deps.now());
  if (outage) {
    trace.fault = `outage/${outage.mode}`;
    return beforeFaultResponse(edge, { kind: outage.mode === "reset" ? "reset" : "503", phase: "before" });
  }
  const fault = decideFault(state.faults, state.rng, route !== null && route.kind !== "retrieve");
  const latency = sampleLatency(state.faults.latency, state.rng);
  if (fault) trace.fault = `${fault.kind}/${fault.phase}`;
  if (fault?.phase === "before") {
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
      executed = execute();
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

function paymentIdOf(route: Route | null, form: FormObject, state: SimulatorState): string | null {
  const meta = form.metadata;
  if (typeof meta === "object" && !Array.isArray(meta) && typeof meta.payment_id === "string") return meta.payment_id;
  if (route?.kind === "confirm") return state.intents.find(route.id)?.metadata.payment_id ?? null;
  return null;
}

function fromSaved(saved: SavedResponse, headers: Record<string, string>): Response {
  return json(saved.status, saved.body, headers);
}
