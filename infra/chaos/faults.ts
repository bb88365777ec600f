/**
 * The faults of a chaos run, each done for real: SIGKILL of a service process
 * (its supervisor restarts it), restart of the broker and of the Postgres
 * primary, Mailpit, FerretDB and the read replica stopped for a while, and each
 * gateway's port closed in turn (connection refused, its ledger kept:
 * simulator/listener.ts), so payments fail over between the connectors.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Component } from "../stack/component.ts";
import { loadStackEnv } from "../../shared/config.ts";
import { allComponents } from "../stack/components/index.ts";
import { childPidFile } from "../stack/components/service.ts";

export interface Fault {
  readonly at: number; // seconds after the load starts
  readonly name: string;
  run(): Promise<void>;
}

const component = (name: string): Component => {
  const c = allComponents().find((x) => x.name === name);
  if (!c) throw new Error(`no component ${name}`);
  return c;
};

export const killService = (name: string) => async () => {
  const file = childPidFile(name);
  if (!existsSync(file)) throw new Error(`${name} is not running under its supervisor`);
  process.kill(Number(readFileSync(file, "utf8")), "SIGKILL");
};

const restart =
  (name: string, downSeconds = 0) =>
  async () => {
    const c = component(name);
    await c.stop();
    if (downSeconds > 0) await Bun.sleep(downSeconds * 1000);
    await c.provision();
    await c.start();
  };

/** The gateway refuses connections for `seconds`, then listens again with its state. */
export const closeGateway = (gateway: "stripe" | "adyen", seconds: number) => async () => {
  const base = gateway === "stripe" ? loadStackEnv().STRIPE_API_BASE : loadStackEnv().ADYEN_API_BASE;
  const res = await fetch(`${base}/__admin/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ outage: { mode: "refuse", durationMs: seconds * 1000 } }),
  });
  if (!res.ok) throw new Error(`closing ${gateway}: ${res.status}`);
};

/** Spread over the load; `scale` stretches the schedule for longer profiles. */
export function schedule(scale: number): Fault[] {
  const at = (s: number) => Math.round(s * scale);
  return [
    { at: at(5), name: "SIGKILL api-1", run: killService("api-1") },
    { at: at(8), name: "stripe refuses connections for 6 s", run: closeGateway("stripe", 6 * scale) },
    { at: at(10), name: "SIGKILL outbox-relay", run: killService("outbox-relay") },
    { at: at(16), name: "SIGKILL payment-worker", run: killService("payment-worker") },
    { at: at(22), name: "SIGKILL notification-worker", run: killService("notification-worker") },
    { at: at(24), name: "adyen refuses connections for 6 s", run: closeGateway("adyen", 6 * scale) },
    { at: at(27), name: "SIGKILL dlq-consumer", run: killService("dlq-consumer") },
    { at: at(29), name: "SIGKILL command-worker", run: killService("command-worker") },
    { at: at(30), name: "SIGKILL webhook-dispatcher", run: killService("webhook-dispatcher") },
    { at: at(32), name: "restart kafka", run: restart("kafka", 2) },
    { at: at(45), name: "restart postgres-primary", run: restart("postgres-primary", 1) },
    { at: at(55), name: "stop mailpit for 10 s", run: restart("mailpit", 10) },
    { at: at(60), name: "stop postgres-replica for 10 s", run: restart("postgres-replica", 10) },
    { at: at(68), name: "stop ferretdb for 10 s", run: restart("ferretdb", 10) },
    { at: at(72), name: "stripe refuses connections for 6 s", run: closeGateway("stripe", 6 * scale) },
    { at: at(76), name: "adyen refuses connections for 6 s", run: closeGateway("adyen", 6 * scale) },
    { at: at(80), name: "SIGKILL api-2", run: killService("api-2") },
    { at: at(84), name: "SIGKILL payment-worker again", run: killService("payment-worker") },
  ];
}
