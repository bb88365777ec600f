/**
 * createAdyenSimulator(): the simulator's Adyen mode (SIM_GATEWAY=adyen), Adyen's Checkout
 * API with the shared fault injection, clock, request log, idempotency store and ledger, and
 * the same /__admin routes as the Stripe mode, plus:
 *   GET  /__admin/payments?merchant_reference=&payment_id=   the gateway's view of payments (not an Adyen API)
 *   GET  /__admin/payments/{pspReference}
 *   GET|POST|DELETE /__admin/webhooks, POST /__admin/webhooks/flush
 * and the Payment accounting report download (report.ts), outside the Checkout pipeline.
 */
import { handleAdmin } from "../admin.ts";
import type { Trace } from "../api.ts";
import type { FaultConfig } from "../faults.ts";
import { isReset, json } from "../http.ts";
import { EXCHANGE_ID_HEADER } from "../request-log.ts";
import { seedFrom } from "../rng.ts";
import { handleWebhookAdmin } from "../webhook-admin.ts";
import type { WebhookSettings } from "../webhooks.ts";
import { handleAdyenApi } from "./api.ts";
import { errorJson, internalError } from "./errors.ts";
import { paymentView } from "./payment.ts";
import { handleReport } from "./report.ts";
import { createAdyenState, type AdyenState } from "./state.ts";

export type AdyenSimulatorOptions = {
  faults?: FaultConfig;
  seed?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  log?: (line: string) => void;
  /** Start-up webhook settings (POST /__admin/reset restores them). */
  webhooks?: WebhookSettings | null;
  /** Merchant accounts the API key may use; empty or absent: any. */
  merchantAccounts?: readonly string[];
};

export type AdyenSimulator = {
  fetch: (req: Request) => Promise<Response>;
  state: AdyenState;
  seed: number;
  listen: (opts?: { port?: number; hostname?: string }) => ReturnType<typeof Bun.serve>;
};

export function createAdyenSimulator(opts: AdyenSimulatorOptions = {}): AdyenSimulator {
  const seed = opts.seed ?? seedFrom(undefined);
  const state = createAdyenState({
    seed,
    faults: opts.faults,
    webhooks: opts.webhooks,
    merchantAccounts: opts.merchantAccounts,
    realNow: opts.now ?? Date.now,
  });
  const sleep = opts.sleep ?? ((ms: number) => (ms > 0 ? Bun.sleep(ms) : Promise.resolve()));
  const log = opts.log ?? (() => {});

  async function extraAdmin(req: Request, route: string): Promise<Response | null> {
    const webhooks = await handleWebhookAdmin(req, route, "adyen", state.webhooks);
    if (webhooks) return webhooks;
    if (route === "GET /__admin/payments") {
      const q = new URL(req.url).searchParams;
      const ref = q.get("merchant_reference");
      const id = q.get("payment_id");
      if (ref === null && id === null) return json(400, { error: { type: "invalid_request_error", message: "give merchant_reference or payment_id" } });
      const found = ref !== null ? state.payments.byReference(ref) : state.payments.byPaymentId(id!);
      return json(200, { data: found.filter((p) => id === null || p.paymentId === id).map(paymentView) });
    }
    const one = /^GET \/__admin\/payments\/([^/]+)$/.exec(route);
    if (!one) return null;
    const p = state.payments.find(decodeURIComponent(one[1]!));
    return p ? json(200, paymentView(p)) : json(404, { error: { type: "invalid_request_error", message: `no payment ${one[1]}` } });
  }

  async function fetch(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/health") return json(200, { status: "ok", gateway: "adyen" });
    if (path.startsWith("/__admin/")) return handleAdmin(req, path, state, extraAdmin);
    if (path.startsWith("/reports/")) {
      const entry = state.requests.begin({
        at: state.now(),
        method: req.method,
        path,
        exchangeId: req.headers.get(EXCHANGE_ID_HEADER),
        idempotencyKey: null,
        paymentId: null,
      });
      const res = handleReport(req, path, state);
      entry.status = res.status;
      log(`${req.method} ${path} ${res.status}`);
      return res;
    }
    const started = performance.now();
    const trace: Trace = { key: null, fault: null, replayed: false, entry: null };
    let status = "error";
    try {
      const res = await handleAdyenApi(req, path, { state, sleep }, trace);
      status = isReset(res) ? "reset" : String(res.status);
      return res;
    } catch {
      // A bug here must still look like Adyen to the client: a 500 internal error.
      status = "500";
      return errorJson(internalError(500));
    } finally {
      if (trace.entry) Object.assign(trace.entry, { status: status === "reset" ? "reset" : Number(status), fault: trace.fault, replayed: trace.replayed });
      const extra = [trace.key !== null ? `key=${trace.key}` : "", trace.fault ? `fault=${trace.fault}` : "", trace.replayed ? "replayed" : ""]
        .filter(Boolean)
        .join(" ");
      log(`${req.method} ${path} ${status} ${Math.round(performance.now() - started)}ms ${extra}`.trimEnd());
    }
  }

  return {
    fetch,
    state,
    seed,
    // idleTimeout 0: a hang must be able to outlast Bun's default 10 s idle cut-off.
    listen: ({ port = 0, hostname = "127.0.0.1" } = {}) => Bun.serve({ port, hostname, idleTimeout: 0, fetch }),
  };
}
