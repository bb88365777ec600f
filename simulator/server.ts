/**
 * createSimulator(): a Stripe-compatible PaymentIntents API with fault injection and a
 * charge ledger, as a fetch handler. Tests call `fetch` in-process or `listen()` on a
 * random loopback port and point the real `stripe` SDK at it; main.ts serves it.
 */
import { handleAdmin } from "./admin.ts";
import { handleApi, type Trace } from "./api.ts";
import { apiError } from "./errors.ts";
import type { FaultConfig } from "./faults.ts";
import { errorResponse, isReset, json } from "./http.ts";
import { seedFrom } from "./rng.ts";
import { createState, type SimulatorState } from "./state.ts";
import { handleWebhookAdmin } from "./webhook-admin.ts";
import type { WebhookSettings } from "./webhooks.ts";

export type SimulatorOptions = {
  /** Start-up faults (POST /__admin/reset restores them). Default: none. */
  faults?: FaultConfig;
  /** PRNG seed for faults, latency and ids. Default: random. */
  seed?: number;
  /** Real time; the simulated clock adds what POST /__admin/clock advanced. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** One line per API request; never given secrets or card details. */
  log?: (line: string) => void;
  /** Start-up webhook settings (POST /__admin/reset restores them). Default: none. */
  webhooks?: WebhookSettings | null;
};

export type Simulator = {
  fetch: (req: Request) => Promise<Response>;
  state: SimulatorState;
  seed: number;
  listen: (opts?: { port?: number; hostname?: string }) => ReturnType<typeof Bun.serve>;
};

export function createSimulator(opts: SimulatorOptions = {}): Simulator {
  const seed = opts.seed ?? seedFrom(undefined);
  const state = createState(seed, opts.faults, opts.now ?? Date.now, opts.webhooks ?? null);
  const sleep = opts.sleep ?? ((ms: number) => (ms > 0 ? Bun.sleep(ms) : Promise.resolve()));
  const log = opts.log ?? (() => {});

  async function fetch(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/health") return json(200, { status: "ok" });
    if (path.startsWith("/__admin/")) return handleAdmin(req, path, state, (r, route) => handleWebhookAdmin(r, route, "stripe", state.webhooks));
    const started = performance.now();
    const trace: Trace = { key: null, fault: null, replayed: false, entry: null };
    let status = "error";
    try {
      const res = await handleApi(req, path, { state, now: state.now, sleep }, trace);
      status = isReset(res) ? "reset" : String(res.status);
      return res;
    } catch {
      // A bug here must still look like Stripe to the client: a 500 api_error.
      status = "500";
      return errorResponse(apiError(500));
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
