/**
 * Entry point: `bun simulator/main.ts`. Configuration is read once at start and a bad
 * value stops the process with a message naming the variable.
 *   PORT (12111) · SIM_HOST (127.0.0.1) · SIM_SEED · SIM_LATENCY_MS · SIM_LATENCY_JITTER_MS ·
 *   SIM_LATENCY_P99_MS · SIM_FAULTS ("500:0.1,503:0.05,429:0.05,lock_timeout:0,reset:0.02,hang:0.02") ·
 *   SIM_FAULT_PHASE (before|after|mixed) · SIM_HANG_MS (90000 or "never") ·
 *   SIM_OUTAGE_MS + SIM_OUTAGE_MODE (503|reset): an outage from start-up · SIM_QUIET=1: no request log ·
 *   (POST /__admin/faults { outage: { mode: "refuse", durationMs } } closes the port for a while: listener.ts) ·
 *   SIM_GATEWAY (stripe|adyen, default stripe): which gateway's API this process speaks ·
 *   SIM_WEBHOOK_URL + SIM_WEBHOOK_SECRET (+ SIM_WEBHOOK_DELAY_MS, SIM_WEBHOOK_RETRIES): where to post the gateway's webhooks ·
 *   SIM_ADYEN_MERCHANT_ACCOUNTS (comma list, adyen mode): the only merchant accounts the key may use
 */
import { bool, ConfigError as EnvError, host, oneOf, port as portEnv } from "../shared/env.ts";
import { createAdyenSimulator } from "./adyen/server.ts";
import { ConfigError, configFromEnv } from "./fault-config.ts";
import { seedFrom } from "./rng.ts";
import { listenRefusable } from "./listener.ts";
import { createSimulator } from "./server.ts";
import { webhookSettingsFromEnv } from "./webhook-admin.ts";

function fail(message: string): never {
  console.error(`[simulator] configuration error: ${message}`);
  process.exit(2);
}

function loadConfig(env: Record<string, string | undefined>) {
  try {
    return {
      port: portEnv(env, "PORT", 12111, { allowZero: true }),
      hostname: host(env, "SIM_HOST", "127.0.0.1"),
      faults: configFromEnv(env, Date.now()),
      quiet: bool(env, "SIM_QUIET"),
      gateway: oneOf(env, "SIM_GATEWAY", ["stripe", "adyen"] as const, "stripe"),
      merchantAccounts: (env.SIM_ADYEN_MERCHANT_ACCOUNTS ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    };
  } catch (e) {
    return fail(e instanceof ConfigError || e instanceof EnvError ? e.message : String(e));
  }
}

const env = process.env;
const { port, hostname, faults, quiet, gateway, merchantAccounts } = loadConfig(env);
const webhooks = (() => {
  try {
    return webhookSettingsFromEnv(gateway, env);
  } catch (e) {
    return fail((e as Error).message);
  }
})();
const seed = seedFrom(env.SIM_SEED);
const log = quiet ? undefined : (line: string) => console.log(`[simulator] ${line}`);
const sim = gateway === "adyen" ? createAdyenSimulator({ faults, seed, log, webhooks, merchantAccounts }) : createSimulator({ faults, seed, log, webhooks });
const server = listenRefusable(sim.fetch, sim.state.faults, () => sim.state.now(), { port, hostname });

console.log(
  `[simulator] ${gateway === "adyen" ? "Adyen Checkout" : "Stripe"}-compatible simulator on http://${hostname}:${server.port} seed=${seed} ` +
    `faults=${JSON.stringify({ latency: faults.latency, rates: faults.rates, phase: faults.phase, hangMs: faults.hangMs, outage: faults.outage })}`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // Hung requests would keep a graceful stop waiting forever; close them.
    void server.stop();
    process.exit(0);
  });
}
