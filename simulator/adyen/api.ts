/**
 * The Adyen-mode request pipeline, the same order as the Stripe mode's (api.ts):
 * edge (outage, before-phase faults, latency) → authentication (X-API-Key, or Basic for a
 * ws@ user) → routing and body validation → merchant account → idempotency layer → endpoint
 * → after-phase faults on the way out. Simulated time is applied first, so the webhooks of
 * what became due go out before anything new happens.
 */
import type { Trace } from "../api.ts";
import { activeOutage, decideFault, sampleLatency } from "../faults.ts";
import type { SavedResponse } from "../idempotency.ts";
import { EXCHANGE_ID_HEADER } from "../request-log.ts";
import type { Executed } from "../executed.ts";
import { afterFault, beforeFault, type AdyenEdge } from "./edge.ts";
import { AdyenHttpError, errorJson, internalError, invalidMerchantAccount, keyInProgress, keyReused, keyTooLong, notFound, unauthorized } from "./errors.ts";
import { parseBody, type Json } from "./fields.ts";
import { endpoint, matchOf, routeOf } from "./routes.ts";
import { ADYEN_MAX_KEY_LENGTH, type AdyenState } from "./state.ts";

export type AdyenApiDeps = { state: AdyenState; sleep: (ms: number) => Promise<void> };

export async function handleAdyenApi(req: Request, path: string, deps: AdyenApiDeps, trace: Trace): Promise<Response> {
  const { state } = deps;
  state.settle();
  const route = routeOf(req.method, path);
  const key = req.method === "POST" ? req.headers.get("Idempotency-Key") : null;
  trace.key = key;
  const headers: Record<string, string> = key !== null ? { "Idempotency-Key": key } : {};
  let body: Json | null = null;
  let bodyError: AdyenHttpError | null = null;
  try {
    body = parseBody(req.method === "POST" ? await req.text() : "");
  } catch (e) {
    if (!(e instanceof AdyenHttpError)) throw e;
    bodyError = e;
  }
  const match = matchOf(route, body, state);
  const paymentId = match?.payment_id ?? null;
  if (req.method === "POST") state.ledger.recordAttempt(paymentId, key);
  trace.entry = state.requests.begin({
    at: state.now(),
    method: req.method,
    path,
    exchangeId: req.headers.get(EXCHANGE_ID_HEADER),
    idempotencyKey: key,
    paymentId,
  });

  const edge: AdyenEdge = { hangMs: () => state.faults.hangMs, sleep: deps.sleep, headers };
  const outage = activeOutage(state.faults, state.now());
  if (outage) {
    trace.fault = `outage/${outage.mode}`;
    return beforeFault(edge, { kind: outage.mode === "reset" ? "reset" : "503", phase: "before" });
  }
  const executes = route !== null;
  const fault = decideFault(state.faults, state.rng, executes, state.ruleHits, match);
  const latency = sampleLatency(state.faults.latency, state.rng);
  if (fault) trace.fault = `${fault.kind}/${fault.phase}`;
  if (fault?.phase === "before" || (fault?.phase === "stored" && !executes)) {
    await deps.sleep(latency);
    return beforeFault(edge, fault);
  }

  try {
    checkCredentials(req.headers);
    if (!route) throw notFound(path);
    if (bodyError) throw bodyError;
    if (key !== null && (key.length === 0 || key.length > ADYEN_MAX_KEY_LENGTH)) throw keyTooLong(ADYEN_MAX_KEY_LENGTH);
    const account = body!.merchantAccount;
    if (state.merchantAccounts && typeof account === "string" && !state.merchantAccounts.has(account)) throw invalidMerchantAccount();
    const execute = endpoint(route, body!, state, key);
    if (key !== null) {
      const begin = state.idempotency.begin(key, `${req.method} ${path} ${canonical(body)}`, state.now());
      if (begin.kind === "mismatch") throw keyReused();
      if (begin.kind === "in_use") throw keyInProgress();
      if (begin.kind === "replay") {
        trace.replayed = true;
        await deps.sleep(latency);
        return afterFault(edge, fault, fromSaved(begin.saved, headers));
      }
    }
    let executed: Executed;
    try {
      await deps.sleep(latency); // processing time: the key stays claimed meanwhile
      // A stored fault: the endpoint failed inside before anything moved, and the 500 is kept under the key.
      executed = fault?.phase === "stored" ? { status: 500, body: internalError(500).body } : execute();
    } catch (e) {
      if (key !== null) state.idempotency.release(key);
      throw e;
    }
    const saved: SavedResponse = { status: executed.status, body: JSON.stringify(executed.body), requestId: "" };
    if (key !== null) state.idempotency.save(key, saved, state.now());
    return afterFault(edge, fault, fromSaved(saved, headers));
  } catch (e) {
    // Adyen gives every refused request a pspReference of its own, to quote to support.
    if (e instanceof AdyenHttpError) return errorJson(new AdyenHttpError({ ...e.body, pspReference: state.psp() }, e.headers), headers);
    throw e;
  }
}

/** An API key in X-API-Key, or Basic credentials of a web service user; never logged. */
function checkCredentials(h: Headers): void {
  const apiKey = h.get("X-API-Key");
  if (apiKey !== null) {
    if (apiKey.trim() === "" || apiKey.length > 1024) throw unauthorized();
    return;
  }
  const auth = h.get("Authorization") ?? "";
  if (!/^Basic\s+/i.test(auth)) throw unauthorized();
  let decoded = "";
  try {
    decoded = atob(auth.replace(/^Basic\s+/i, "").trim());
  } catch {
    throw unauthorized();
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0 || colon === decoded.length - 1) throw unauthorized();
}

/** Key order does not make two requests different. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Json)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

function fromSaved(saved: SavedResponse, headers: Record<string, string>): Response {
  return new Response(saved.body, { status: saved.status, headers: { "Content-Type": "application/json", ...headers } });
}
