/**
 * Helpers for the dispatcher's integration tests, on the stack's main database (where the
 * running outbox relay publishes merchant.events) and its Kafka: merchants and endpoints,
 * events written with recordEvent as the state transitions write them, and dispatcher
 * processes started from the production entry point with their JSON logs in a file.
 *
 * Each test's endpoints are in a pool of their own (webhook_endpoints.pool), served only by
 * the dispatchers the test starts (WEBHOOK_POOL), so a dispatcher of the stack never makes
 * their attempts on its own schedule. Their intake shares one consumer group across runs,
 * so a new run does not read merchant.events from its beginning again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { insertEndpoint } from "../../api/webhooks/repo.ts";
import { createDb, type Sql } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import type { EventType } from "../../shared/merchant-events/catalogue.ts";
import { newEndpointId } from "../../shared/merchant-events/ids.ts";
import { recordEvent } from "../../shared/merchant-events/record.ts";
import { API_VERSION } from "../../shared/merchant-events/schema.ts";
import { newWebhookSecret } from "../../shared/merchant-events/signature.ts";
import { OUTBOX_CHANNEL } from "../../shared/db/outbox.ts";
import { endpoints } from "../setup/endpoints.ts";
import { eventually } from "../setup/wait.ts";

export { eventually };

const ROOT = join(import.meta.dir, "../..");
const NODE = join(ROOT, "node_modules/.bin/node");
export const INTAKE_GROUP = "webhook-dispatcher-it";

export const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
export const newPaymentId = () => `pay_${hex(16)}`;
export const uniquePool = (name: string) => `it-${name}-${hex(4)}`;

export async function openDb(): Promise<Sql> {
  const sql = createDb({ url: endpoints.DATABASE_URL, max: 8, applicationName: "webhook-tests" });
  await migrate(sql);
  return sql;
}

export async function seedMerchant(sql: Sql, name: string): Promise<string> {
  const id = `mer_wh_${hex(6)}`;
  await sql`INSERT INTO merchants (id, name) VALUES (${id}, ${name})`;
  return id;
}

/**
 * An endpoint written straight to the table, as the API stores one, without the API's URL
 * check: what the dispatcher meets when a name that resolved to a public address at
 * creation resolves to loopback later.
 */
export async function seedEndpoint(sql: Sql, p: { merchantId: string; url: string; pool: string; events?: string[] }): Promise<{ id: string; secret: string }> {
  const id = newEndpointId();
  const secret = newWebhookSecret();
  await sql.begin(async (tx) => {
    await insertEndpoint(tx, {
      id,
      merchantId: p.merchantId,
      url: p.url,
      description: null,
      enabledEvents: p.events ?? ["*"],
      enabled: true,
      apiVersion: API_VERSION,
      secret,
    });
    await tx`UPDATE webhook_endpoints SET pool = ${p.pool} WHERE id = ${id}`;
  });
  return { id, secret };
}

/** A payment-like resource as its GET would show it: enough for the event's data.object. */
export const paymentObject = (id: string, status: string) => ({ id, object: "payment", status, amount: 1500, currency: "EUR" });

/** Writes one event in its own transaction (as a transition does) and wakes the relay. */
export async function writeEvent(sql: Sql, merchantId: string, paymentId: string, type: EventType): Promise<string> {
  const status = type === "payment.denied" ? "DENIED" : type.startsWith("refund") ? "APPROVED" : "APPROVED";
  const id = await sql.begin((tx) => recordEvent(tx, { merchantId, paymentId, type, object: paymentObject(paymentId, status) }));
  await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, 'merchant.events')`;
  return id;
}

export type Dispatcher = { child: ChildProcess; logFile: string; logs: () => Record<string, unknown>[]; metricsPort: () => number | undefined };

/** Starts `node streams/webhook-dispatcher/main.ts` (the production entry point) with `env`. */
export function startDispatcher(env: Record<string, string>, name = "webhook-dispatcher"): Dispatcher {
  const logFile = join(tmpdir(), `${name}-${Date.now().toString(36)}-${hex(3)}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(NODE, [join(ROOT, "streams/webhook-dispatcher/main.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: endpoints.DATABASE_URL,
      KAFKA_BROKERS: endpoints.KAFKA_BROKERS,
      KAFKA_PARTITIONS: String(endpoints.KAFKA_PARTITIONS),
      METRICS_PORT: "0",
      GROUP_ID: INTAKE_GROUP,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const logs = () => readJsonLines(logFile);
  const metricsPort = () => logs().find((l) => l.msg === "webhook dispatcher ready")?.metricsPort as number | undefined;
  return { child, logFile, logs, metricsPort };
}

export function readJsonLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{") && l.endsWith("}"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Waits until the dispatcher says it is ready (its topics exist then), or fails with its log. */
export async function ready(d: Dispatcher, timeoutMs = 60_000): Promise<number> {
  return eventually(
    `the dispatcher to start (log ${d.logFile})`,
    () => {
      if (d.child.exitCode !== null) throw new Error(`the dispatcher exited ${d.child.exitCode}: ${readFileSync(d.logFile, "utf8").slice(-2000)}`);
      return d.metricsPort();
    },
    timeoutMs,
  );
}

export function stopped(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

/** SIGKILL at once, or SIGTERM with SIGKILL after `graceMs`. */
export async function kill(d: Dispatcher | undefined, signal: NodeJS.Signals = "SIGKILL", graceMs = 20_000): Promise<void> {
  if (!d || d.child.exitCode !== null || d.child.signalCode !== null) return;
  d.child.kill(signal);
  const t = setTimeout(() => d.child.kill("SIGKILL"), graceMs);
  await stopped(d.child);
  clearTimeout(t);
}

/** A metric's samples from a dispatcher's /metrics: its labels and value each. */
export async function metric(port: number, name: string): Promise<{ labels: Record<string, string>; value: number }[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

/** The value of the sample whose labels include `labels` (0 when there is none). */
export const sample = (samples: { labels: Record<string, string>; value: number }[], labels: Record<string, string>): number =>
  samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;

export type DeliveryState = { event_id: string; endpoint_id: string; state: string; attempts: number; dead_reason: string | null };

export async function deliveries(sql: Sql, eventIds: readonly string[]): Promise<DeliveryState[]> {
  return sql<DeliveryState[]>`
    SELECT event_id, endpoint_id, state, attempts, dead_reason FROM webhook_deliveries WHERE event_id = ANY(${eventIds as string[]}::text[])`;
}

export async function attemptLog(sql: Sql, eventIds: readonly string[]) {
  return sql<{ event_id: string; attempt: number; outcome: string; status_code: number | null; error: string | null; duration_ms: number | null }[]>`
    SELECT d.event_id, a.attempt, a.outcome, a.status_code, a.error, a.duration_ms
      FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
     WHERE d.event_id = ANY(${eventIds as string[]}::text[])
     ORDER BY a.id`;
}
