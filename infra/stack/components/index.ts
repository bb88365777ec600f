/**
 * The stack, in start order. `stack down` stops it in reverse.
 * Infrastructure first, then the platform's own services, Caddy last so that
 * its first health checks find the API instances up.
 */
import { loadStackEnv } from "../../../shared/config.ts";
import type { Component } from "../component.ts";
import { Caddy } from "./caddy.ts";
import { FerretDB } from "./ferretdb.ts";
import { Kafka } from "./kafka.ts";
import { Mailpit } from "./mailpit.ts";
import { PostgresPrimary, PostgresReplica } from "./postgres.ts";
import { Service } from "./service.ts";

/** A fixed local-development merchant key, so the one printed on start stays valid across restarts. */
export const DEV_MERCHANT_KEY = process.env.DEV_MERCHANT_KEY ?? "sk_dev_local_0123456789abcdefghijklmnopqrstuv";

export function infrastructure(): Component[] {
  return [new PostgresPrimary(), new PostgresReplica(), new Kafka(), new FerretDB(), new Mailpit()];
}

/** Stream services on the pinned Node 24, each with its /metrics + /health/live port. */
const STREAM_SERVICES = [
  { name: "outbox-relay", entry: "streams/outbox-relay/main.ts" },
  { name: "payment-worker", entry: "streams/payment-worker/main.ts" },
  { name: "notification-worker", entry: "streams/notification-worker/main.ts" },
  { name: "dlq-consumer", entry: "streams/dlq-consumer/main.ts" },
] as const;

/** Local operator key for /ops/* and the DLQ CLI's HTTP twin; never used outside the local stack. */
export const DEV_OPS_KEY = process.env.OPS_API_KEY ?? "ops_dev_local_0123456789abcdefghijklmnopqrstuv";

export function services(): Component[] {
  const env = loadStackEnv();
  const simulator = new Service({
    name: "stripe-sim",
    runtime: "bun",
    entry: "simulator/main.ts",
    env: { PORT: String(env.STRIPE_SIM_PORT), SIM_QUIET: "1" },
    health: `http://127.0.0.1:${env.STRIPE_SIM_PORT}/health`,
  });
  const streams = STREAM_SERVICES.map((s) => {
    const port = env.METRICS_PORTS[s.name] ?? 0;
    return new Service({ ...s, runtime: "node", env: { METRICS_PORT: String(port), STRIPE_API_BASE: env.STRIPE_API_BASE }, health: `http://127.0.0.1:${port}/health/live` });
  });
  const apis = env.API_PORTS.map(
    (port, i) =>
      new Service({
        name: `api-${i + 1}`,
        runtime: "bun",
        entry: process.env.API_ENTRY ?? "api/main.ts",
        env: { PORT: String(port), SEED_DEV_MERCHANT: i === 0 ? "1" : "0", DEV_MERCHANT_KEY, OPS_API_KEY: DEV_OPS_KEY },
        health: `http://127.0.0.1:${port}/health/ready`,
      }),
  );
  return [simulator, ...apis, ...streams];
}

export function allComponents(): Component[] {
  return [...infrastructure(), ...services(), new Caddy()];
}
