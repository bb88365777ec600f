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

export function services(): Component[] {
  const env = loadStackEnv();
  return env.API_PORTS.map(
    (port, i) =>
      new Service({
        name: `api-${i + 1}`,
        runtime: "bun",
        entry: process.env.API_ENTRY ?? "api/main.ts",
        env: { PORT: String(port), SEED_DEV_MERCHANT: i === 0 ? "1" : "0", DEV_MERCHANT_KEY },
        health: `http://127.0.0.1:${port}/health/ready`,
      }),
  );
}

export function allComponents(): Component[] {
  return [...infrastructure(), ...services(), new Caddy()];
}
