/**
 * Test-only endpoints under /__admin (no auth: the simulator listens on loopback only).
 *   GET    /__admin/charges             charge and attempt counts, money totals
 *   GET    /__admin/charges/{paymentId} counts, PaymentIntents, money and refunds of one payment
 *   GET    /__admin/faults              current fault settings
 *   POST   /__admin/faults              partial update (JSON)
 *   DELETE /__admin/faults              no faults, no latency
 *   GET    /__admin/requests            every /v1 request (?payment_id=&after_seq=&limit=)
 *   GET    /__admin/clock               the simulated clock
 *   POST   /__admin/clock               { advanceMs }: let simulated time pass (keys expire, intents settle,
 *                                        authorizations expire, asynchronous refunds change status)
 *   POST   /__admin/reset               forget everything, restore start-up faults, seed and clock
 */
import { applyUpdate, ConfigError } from "./fault-config.ts";
import { emptyConfig, type FaultConfig } from "./faults.ts";
import { json } from "./http.ts";
import type { ChargeLedger } from "./ledger.ts";
import type { RequestLog } from "./request-log.ts";

/** What the admin routes need; both modes' states have it, so tests and chaos read either the same way. */
export type AdminState = {
  readonly requests: RequestLog;
  readonly ledger: ChargeLedger;
  readonly faults: FaultConfig;
  readonly clock: { offsetMs: number };
  now: () => number;
  settle(): void;
  reset(): void;
  /** Adyen mode: what became due sends its webhooks now, not at the next request. */
  afterClockAdvance?: () => void;
};

/** A mode's own admin routes (webhooks, the Adyen payments view): a response, or null for "not mine". */
export type ExtraAdmin = (req: Request, route: string) => Promise<Response | null>;

export async function handleAdmin(req: Request, path: string, state: AdminState, extra?: ExtraAdmin): Promise<Response> {
  const now = state.now();
  const route = `${req.method} ${path.replace(/\/+$/, "")}`;
  const own = extra ? await extra(req, route) : null;
  if (own) return own;
  if (route === "GET /__admin/requests") {
    const q = new URL(req.url).searchParams;
    const int = (name: string) => (q.get(name) === null ? undefined : Number(q.get(name)));
    const paymentId = q.get("payment_id") ?? undefined;
    return json(200, { data: state.requests.list({ ...(paymentId ? { paymentId } : {}), afterSeq: int("after_seq"), limit: int("limit") }) });
  }
  if (route === "GET /__admin/clock") return json(200, clockView(state));
  if (route === "POST /__admin/clock") {
    const body = (await req.json().catch(() => null)) as { advanceMs?: unknown } | null;
    const ms = body?.advanceMs;
    if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0 || ms > 400 * 86_400_000) {
      return json(400, { error: { type: "invalid_request_error", message: "advanceMs must be a whole number of milliseconds between 0 and 400 days" } });
    }
    state.clock.offsetMs += ms;
    state.afterClockAdvance?.();
    return json(200, clockView(state));
  }
  const one = /^GET \/__admin\/charges\/([^/]+)$/.exec(route);
  // The ledger shows what the gateway has done by now, not only what a client has read.
  if (route === "GET /__admin/charges" || one) state.settle();
  if (route === "GET /__admin/charges") return json(200, state.ledger.snapshot());
  if (one) return json(200, state.ledger.forPayment(decodeURIComponent(one[1] as string)));
  if (route === "GET /__admin/faults") return json(200, faultView(state, now));
  if (route === "DELETE /__admin/faults") {
    Object.assign(state.faults, emptyConfig());
    return json(200, faultView(state, now));
  }
  if (route === "POST /__admin/faults") {
    try {
      applyUpdate(state.faults, await req.json(), now);
    } catch (e) {
      const message = e instanceof ConfigError ? e.message : "body must be JSON";
      return json(400, { error: { type: "invalid_request_error", message } });
    }
    return json(200, faultView(state, now));
  }
  if (route === "POST /__admin/reset") {
    state.reset();
    return json(200, { reset: true });
  }
  return json(404, { error: { type: "invalid_request_error", message: `no admin route ${route}` } });
}

function clockView(state: AdminState) {
  return { now: state.now(), offsetMs: state.clock.offsetMs };
}

function faultView(state: AdminState, now: number) {
  const { outage } = state.faults;
  return {
    ...state.faults,
    outage: outage && outage.untilMs > now ? { ...outage, remainingMs: outage.untilMs - now } : null,
  };
}
