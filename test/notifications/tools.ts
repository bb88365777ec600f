/**
 * Shared helpers for the notification and DLQ integration tests: seed merchants, payments
 * and refunds in Postgres, produce PaymentResult events, run the Node workers as child processes
 * (so they can be SIGKILLed) with their JSON logs in a file, read their /metrics (to know when
 * they are done), and read Mailpit's API.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, type Sql } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import type { PaymentResult } from "../../shared/events.ts";
import { endpoints } from "../setup/endpoints.ts";
import { highest, scrapeMetrics, total, type Sample } from "../setup/metrics.ts";
import { eventually } from "../setup/wait.ts";
import { NODE, ROOT, produce, stopped, uniqueName } from "../streams/kafka-tools.ts";

export { produce, stopped, uniqueName };

export async function openDb(): Promise<Sql> {
  const sql = createDb({ url: endpoints.DATABASE_URL, max: 5, applicationName: "notification-tests" });
  await migrate(sql);
  return sql;
}

const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
export const newPaymentId = () => `pay_${hex(16)}`;

export async function seedMerchant(sql: Sql, name: string): Promise<string> {
  const id = `mer_t_${hex(6)}`;
  await sql`INSERT INTO merchants (id, name) VALUES (${id}, ${name})`;
  return id;
}

export type SeedPayment = {
  id?: string;
  merchantId: string;
  status: "APPROVED" | "DENIED" | "PENDING" | "AUTHORIZED" | "CANCELED";
  /**
   * manual: held first (AUTHORIZED), then captured (APPROVED) or canceled (CANCELED).
   * Default automatic; AUTHORIZED and CANCELED exist only for manual payments.
   */
  captureMethod?: "automatic" | "manual";
  /** What the capture of a manual payment took (default: all of it). */
  captured?: number;
  amount: number;
  currency: string;
  email: string;
  name?: string | null;
  declineCode?: string;
};

const HOLD_MS = 7 * 24 * 3600 * 1000;

/**
 * Inserts payments as the lifecycle leaves them (shared/payments/, the CHECKs of migration
 * 0014), and returns for each the PaymentResult that announced its last change: the decision
 * (without a kind, as records written before the lifecycle; a PENDING payment gets an
 * approval), or for a manual payment the hold, the capture or the cancel.
 */
export async function seedPayments(sql: Sql, specs: SeedPayment[]): Promise<PaymentResult[]> {
  const now = new Date();
  const rows = specs.map((s) => {
    const manual = s.captureMethod === "manual" || s.status === "AUTHORIZED" || s.status === "CANCELED";
    return {
      id: s.id ?? newPaymentId(),
      merchant_id: s.merchantId,
      status: s.status,
      amount: s.amount,
      currency: s.currency,
      payment_method: "pm_card_visa",
      customer_email: s.email,
      customer_name: s.name ?? null,
      decline_code: s.declineCode ?? null,
      gateway_ref: `pi_${hex(8)}`,
      created_at: now,
      updated_at: now,
      decided_at: s.status === "PENDING" ? null : now,
      capture_method: manual ? "manual" : "automatic",
      capture_before: manual ? new Date(now.getTime() + HOLD_MS) : null,
      amount_captured: s.status === "APPROVED" ? (s.captured ?? s.amount) : 0,
    };
  });
  for (let i = 0; i < rows.length; i += 500) await sql`INSERT INTO payments ${sql(rows.slice(i, i + 500))}`;
  return rows.map((r): PaymentResult => {
    const base = { v: 1 as const, paymentId: r.id, merchantId: r.merchant_id, gatewayRef: r.gateway_ref, decidedAt: now.toISOString() };
    if (r.capture_method === "manual") {
      if (r.status === "APPROVED") return { ...base, status: "APPROVED", kind: "captured", amount: r.amount_captured };
      if (r.status === "AUTHORIZED") return { ...base, status: "AUTHORIZED", kind: "decided" };
      if (r.status === "CANCELED") return { ...base, status: "CANCELED", kind: "canceled" };
    }
    return { ...base, status: r.status === "DENIED" ? "DENIED" : "APPROVED", ...(r.decline_code ? { declineCode: r.decline_code } : {}) };
  });
}

/** The hold that came before a manual payment's capture or cancel: a decision that sends no mail. */
export const heldResult = (r: PaymentResult): PaymentResult => ({
  v: 1,
  paymentId: r.paymentId,
  merchantId: r.merchantId,
  status: "AUTHORIZED",
  kind: "decided",
  gatewayRef: r.gatewayRef,
  decidedAt: r.decidedAt,
});

export const newRefundId = () => `re_${hex(16)}`;

/**
 * Settled refunds of an APPROVED payment, in the order given (each decided a millisecond
 * after the one before), with the payment's refunded amounts as settleRefund leaves them;
 * returns the PaymentResult of each.
 */
export async function seedRefunds(sql: Sql, paymentId: string, specs: { amount: number; outcome: "succeeded" | "failed" }[]): Promise<PaymentResult[]> {
  const now = Date.now();
  return sql.begin(async (tx) => {
    const [p] = await tx<{ merchant_id: string; currency: string }[]>`SELECT merchant_id, currency FROM payments WHERE id = ${paymentId} FOR UPDATE`;
    if (!p) throw new Error(`seedRefunds: no payment ${paymentId}`);
    const rows = specs.map((s, i) => ({
      id: newRefundId(),
      payment_id: paymentId,
      merchant_id: p.merchant_id,
      amount: s.amount,
      currency: p.currency,
      status: s.outcome,
      failure_reason: s.outcome === "failed" ? "refused by the gateway" : null,
      gateway_refund_id: `re_gw_${hex(8)}`,
      created_at: new Date(now + i),
      updated_at: new Date(now + i),
      decided_at: new Date(now + i),
    }));
    await tx`INSERT INTO refunds ${tx(rows)}`;
    const refunded = rows.filter((r) => r.status === "succeeded").reduce((n, r) => n + r.amount, 0);
    await tx`UPDATE payments SET amount_refund_reserved = amount_refund_reserved + ${refunded}, amount_refunded = amount_refunded + ${refunded} WHERE id = ${paymentId}`;
    return rows.map(
      (r): PaymentResult => ({
        v: 1,
        paymentId,
        merchantId: p.merchant_id,
        status: "APPROVED",
        kind: r.status === "succeeded" ? "refund_succeeded" : "refund_failed",
        amount: r.amount,
        refundId: r.id,
        gatewayRef: r.gateway_refund_id,
        decidedAt: r.decided_at.toISOString(),
      }),
    );
  }) as Promise<PaymentResult[]>;
}

/**
 * Creates a topic with its retry tiers and DLQ before a worker subscribes: a consumer that
 * subscribes a topic created a moment earlier can get "Unknown topic or partition" and stop.
 */
export const createTopics = (topic: string): void => produce(topic, []);

export function produceResults(
  topic: string,
  results: PaymentResult[],
  headers: (r: PaymentResult) => Record<string, string> = (r) => ({ "x-correlation-id": `corr-${r.paymentId}` }),
): void {
  produce(
    topic,
    results.map((r) => ({ key: r.paymentId, value: JSON.stringify(r), headers: headers(r) })),
  );
}

export type Proc = { child: ChildProcess; logFile: string; logs: () => Record<string, unknown>[] };

/** Starts a Node service (`streams/<name>/main.ts`) with its stdout/stderr in a file that survives SIGKILL. */
export function startService(
  name: "notification-worker" | "dlq-consumer" | "outbox-relay" | "command-worker",
  env: Record<string, string>,
  logFile = join(tmpdir(), `${uniqueName(name)}.log`),
): Proc {
  const fd = openSync(logFile, "a");
  const child = spawn(NODE, [join(ROOT, "streams", name, "main.ts")], {
    env: { ...process.env, KAFKA_BROKERS: endpoints.KAFKA_BROKERS, METRICS_PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  return { child, logFile, logs: () => readJsonLines(logFile) };
}

export function readJsonLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{") && l.endsWith("}"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Stops a service: SIGKILL at once, or SIGTERM with a SIGKILL after `graceMs`. Returns the exit code. */
export async function kill(p: Proc | undefined, signal: NodeJS.Signals = "SIGKILL", graceMs = 15_000): Promise<number | null> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return p?.child.exitCode ?? null;
  p.child.kill(signal);
  const t = setTimeout(() => p.child.kill("SIGKILL"), graceMs);
  const code = await stopped(p.child);
  clearTimeout(t);
  return code;
}

/** The port of a service started with METRICS_PORT=0, from its "ready" log line. */
export function metricsPortOf(p: Proc): Promise<number> {
  return eventually(
    `the ready line (with its metrics port) in ${p.logFile}`,
    () => {
      const port = p.logs().find((l) => typeof l.metricsPort === "number")?.metricsPort;
      return typeof port === "number" ? port : undefined;
    },
    60_000,
  );
}

/**
 * Waits until a stream worker is done with what it was given: at least `records` records of
 * `topic` finished (handled, sent to a retry tier or dead-lettered), nothing in flight, queued
 * or held, and every record it received committed (stream_commit_lag 0 on every partition).
 * From then on nothing it received can act again (send, retry, be redelivered), so a count
 * taken now is final. Returns the metrics it read, for the test's own assertions.
 */
export async function settled(p: Proc, topic: string, records: number, timeoutMs = 60_000): Promise<Sample[]> {
  const url = `http://127.0.0.1:${await metricsPortOf(p)}/metrics`;
  return eventually(
    `${records} record(s) of ${topic} finished and committed, nothing in flight`,
    async () => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`the worker logging to ${p.logFile} exited`);
      const m = await scrapeMetrics(url);
      const finished = ["stream_messages_handled_total", "stream_messages_retried_total", "stream_messages_dead_lettered_total"].reduce(
        (n, name) => n + total(m, name, { topic }),
        0,
      );
      const idle = total(m, "stream_messages_unfinished") === 0 && total(m, "stream_messages_buffered") === 0 && highest(m, "stream_commit_lag") === 0;
      return finished >= records && idle ? m : undefined;
    },
    timeoutMs,
  );
}

export type MailSummary = { ID: string; MessageID: string; Subject: string; To: { Name: string; Address: string }[]; From: { Address: string } };
export type MailDetail = MailSummary & { Text: string; HTML: string };

export function mailpit(baseUrl = endpoints.MAILPIT_URL) {
  return {
    async search(query: string, limit = 1000): Promise<MailSummary[]> {
      const res = await fetch(`${baseUrl}/api/v1/search?query=${encodeURIComponent(query)}&limit=${limit}`);
      if (!res.ok) throw new Error(`mailpit search ${res.status}`);
      return ((await res.json()) as { messages: MailSummary[] }).messages;
    },
    async get(id: string): Promise<MailDetail> {
      const res = await fetch(`${baseUrl}/api/v1/message/${id}`);
      if (!res.ok) throw new Error(`mailpit message ${res.status}`);
      return (await res.json()) as MailDetail;
    },
  };
}

/** `bun run stack <cmd> mailpit`: the real outage the tests need (never Postgres or Kafka). */
export function stackMailpit(cmd: "stop" | "start"): void {
  const r = spawnSync("bun", ["run", "stack", cmd, "mailpit"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`stack ${cmd} mailpit failed: ${r.stderr}`);
}
