/**
 * Test-only endpoints under /__admin (no auth: the simulator listens on loopback only).
 *   GET    /__admin/charges             charge and attempt counts
 *   GET    /__admin/charges/{paymentId} counts and PaymentIntents for one payment
 *   GET    /__admin/faults              current fault settings
 *   POST   /__admin/faults              partial update (JSON)
 *   DELETE /__admin/faults              no faults, no latency
 *   POST   /__admin/reset               forget everything, restore start-up faults and seed
 */
import { applyUpdate, ConfigError } from "./fault-config.ts";
import { emptyConfig } from "./faults.ts";
import { json } from "./http.ts";
import type { SimulatorState } from "./state.ts";

export async function handleAdmin(req: Request, path: string, state: SimulatorState, now: number): Promise<Response> {
  const route = `${req.method} ${path.replace(/\/+$/, "")}`;
  if (route === "GET /__admin/charges") return json(200, state.ledger.snapshot());
  const one = /^GET \/__admin\/charges\/([^/]+)$/.exec(route);
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

function faultView(state: SimulatorState, now: number) {
  const { outage } = state.faults;
  return {
    ...state.faults,
    outage: outage && outage.untilMs > now ? { ...outage, remainingMs: outage.untilMs - now } : null,
  };
}
