/**
 * The stack, in start order. `stack down` stops it in reverse.
 * Infrastructure first, then the API instances, Caddy, the gateway simulators and the
 * stream services.
 */
import { DEV_KEYS, DEV_MODE_VARIABLE } from "../../../api/config.ts";
import { loadStackEnv } from "../../../shared/config.ts";
import type { Component } from "../component.ts";
import { Caddy, caddyRootCa } from "./caddy.ts";
import { FerretDB } from "./ferretdb.ts";
import { Kafka } from "./kafka.ts";
import { Mailpit } from "./mailpit.ts";
import { PostgresClusterNode, PostgresPrimary, PostgresReplica } from "./postgres.ts";
import { Service } from "./service.ts";

/** A fixed local-development merchant key, so the one printed on start stays valid across restarts. */
export const DEV_MERCHANT_KEY = process.env.DEV_MERCHANT_KEY ?? DEV_KEYS.merchant;

/** The stack's profile (STACK_PROFILE): `single`, or `cluster` (see shared/config.ts). */
export function infrastructure(): Component[] {
  const env = loadStackEnv();
  const postgres = env.STACK_PROFILE === "cluster" ? [new PostgresClusterNode(1), new PostgresClusterNode(2)] : [new PostgresPrimary(), new PostgresReplica()];
  const kafka = Array.from({ length: env.KAFKA_NODES }, (_, i) => new Kafka(i + 1, env.KAFKA_NODES));
  return [...postgres, ...kafka, new FerretDB(), new Mailpit()];
}

/**
 * Stream services on the pinned Node 24, each with its /metrics + /health/live port (from
 * METRICS_PORTS) and any environment of its own.
 */
const STREAM_SERVICES: readonly { name: string; entry: string; env?: Record<string, string> }[] = [
  { name: "outbox-relay", entry: "streams/outbox-relay/main.ts" },
  // A connector's circuit cools off in 5 s locally (30 s by default), so a test's outage does not hold up the next test.
  { name: "payment-worker", entry: "streams/payment-worker/main.ts", env: { BREAKER_COOL_OFF_MS: "5000" } },
  { name: "notification-worker", entry: "streams/notification-worker/main.ts" },
  { name: "dlq-consumer", entry: "streams/dlq-consumer/main.ts" },
  // Captures, cancels and refunds; sweeps expired authorizations every 2 s locally (tests shorten capture_before).
  { name: "command-worker", entry: "streams/command-worker/main.ts", env: { EXPIRY_SWEEP_MS: "2000" } },
  // Dev mode lets webhooks go to local receivers on loopback; loopback-only keeps the local
  // stack from ever sending one off the machine (the fuzzer creates endpoints at random URLs).
  { name: "webhook-dispatcher", entry: "streams/webhook-dispatcher/main.ts", env: { [DEV_MODE_VARIABLE]: "1", WEBHOOK_LOOPBACK_ONLY: "1" } },
];

/**
 * The local stack's gateway webhook secrets: the simulators sign with them, the API verifies.
 * Published on purpose, like the dev keys: they guard nothing outside this machine.
 */
export const LOCAL_WEBHOOK_SECRETS = {
  stripe: "whsec_localstack0123456789abcdef",
  adyen: "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
} as const;

/** Local operator key for /ops/* and the DLQ CLI's HTTP twin; never used outside the local stack. */
export const DEV_OPS_KEY = process.env.OPS_API_KEY ?? DEV_KEYS.ops;

/**
 * The local stack's API environment beyond its port. Dev mode allows the seeded dev merchant
 * and the published keys above. The per-key limit is far above the production default
 * because the benchmarks and the chaos load send ~3,000 creates/s with the one dev key, and
 * every local client reaches the API from 127.0.0.1 through Caddy, so the failed-auth limit
 * (per address) must let the bad-input tests' deliberate 401s through.
 */
const apiEnv = (): Record<string, string> => ({
  [DEV_MODE_VARIABLE]: "1",
  DEV_MERCHANT_KEY,
  OPS_API_KEY: DEV_OPS_KEY,
  MERCHANT_RATE_LIMIT_PER_SECOND: process.env.MERCHANT_RATE_LIMIT_PER_SECOND ?? "100000",
  MERCHANT_RATE_LIMIT_BURST: process.env.MERCHANT_RATE_LIMIT_BURST ?? "100000",
  AUTH_FAILURES_PER_MINUTE: process.env.AUTH_FAILURES_PER_MINUTE ?? "600000",
  AUTH_FAILURE_BURST: process.env.AUTH_FAILURE_BURST ?? "10000",
  STRIPE_WEBHOOK_SECRET: LOCAL_WEBHOOK_SECRETS.stripe,
  ADYEN_HMAC_KEY: LOCAL_WEBHOOK_SECRETS.adyen,
});

/**
 * The gateway simulators, one per connector. They post their webhooks to the public
 * endpoint, as the gateways do (Caddy, then an API instance), trusting Caddy's local CA,
 * and retry a delivery that fails for up to about a minute (both gateways retry for longer).
 */
function simulators(env: ReturnType<typeof loadStackEnv>): Service[] {
  const sim = (gateway: "stripe" | "adyen", port: number) =>
    new Service({
      name: `${gateway}-sim`,
      runtime: "bun",
      entry: "simulator/main.ts",
      env: {
        PORT: String(port),
        SIM_QUIET: "1",
        SIM_GATEWAY: gateway,
        SIM_WEBHOOK_URL: `${env.PUBLIC_URL}/webhooks/${gateway}`,
        SIM_WEBHOOK_SECRET: LOCAL_WEBHOOK_SECRETS[gateway],
        SIM_WEBHOOK_RETRIES: "20",
        NODE_EXTRA_CA_CERTS: caddyRootCa(),
      },
      health: `http://127.0.0.1:${port}/health`,
    });
  return [sim("stripe", env.STRIPE_SIM_PORT), sim("adyen", env.ADYEN_SIM_PORT)];
}

/** The platform's own processes: API instances, gateway simulators, stream services, in start order. */
export function services(): Component[] {
  const env = loadStackEnv();
  // Instance n > 1 of a stream service is `<name>-n`, in the same consumer group as the first.
  const instances = Array.from({ length: env.STREAM_INSTANCES }, (_, i) => i + 1);
  const streams = STREAM_SERVICES.flatMap((s) => instances.map((n) => ({ ...s, name: n === 1 ? s.name : `${s.name}-${n}` }))).map((s) => {
    const port = env.METRICS_PORTS[s.name] ?? 0;
    return new Service({
      name: s.name,
      entry: s.entry,
      runtime: "node",
      // The simulator's search sees its own writes at once (Stripe's trails them by up to a minute).
      env: { METRICS_PORT: String(port), STRIPE_API_BASE: env.STRIPE_API_BASE, ADYEN_API_BASE: env.ADYEN_API_BASE, GATEWAY_SEARCH_LAG_MS: "0", ...s.env },
      health: `http://127.0.0.1:${port}/health/live`,
    });
  });
  const apis = env.API_PORTS.map(
    (port, i) =>
      new Service({
        name: `api-${i + 1}`,
        runtime: "bun",
        entry: process.env.API_ENTRY ?? "api/main.ts",
        // The gateways' addresses: /ops/reconciliation reads each connector's own records.
        env: {
          ...apiEnv(),
          PORT: String(port),
          SEED_DEV_MERCHANT: i === 0 ? "1" : "0",
          STRIPE_API_BASE: env.STRIPE_API_BASE,
          ADYEN_API_BASE: env.ADYEN_API_BASE,
        },
        health: `http://127.0.0.1:${port}/health/ready`,
      }),
  );
  return [...apis, ...simulators(env), ...streams];
}

/**
 * Caddy right after the API instances (its first health checks find them up) and before
 * the simulators, which trust its CA and post their webhooks through it.
 */
export function allComponents(): Component[] {
  const own = services();
  const apis = own.filter((c) => c.name.startsWith("api-"));
  return [...infrastructure(), ...apis, new Caddy(), ...own.filter((c) => !apis.includes(c))];
}
