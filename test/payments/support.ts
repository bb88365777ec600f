/** Helpers for end-to-end payment tests: the public API through Caddy, the simulator's admin API, the audit store. */
import { MongoClient } from "mongodb";
import postgres from "postgres";
import { DEV_MERCHANT_KEY } from "../../infra/stack/components/index.ts";
import { endpoints, postPayment, publicFetch } from "../setup/endpoints.ts";
import { runNode } from "../streams/kafka-tools.ts";

/**
 * One pool and one audit-store client for every test file that imports this module: bun runs
 * the files in one process, so no file may end them (they close when the run ends).
 */
export const db = postgres(endpoints.DATABASE_URL, { max: 4, onnotice: () => {} });
export const mongo = new MongoClient(endpoints.MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
export const sim = endpoints.STRIPE_API_BASE;

export type Payment = { id: string; status: string; decline_code: string | null; last_error: string | null; amount: number; currency: string };

export async function createPayment(paymentMethod: string, over: Record<string, unknown> = {}): Promise<Payment> {
  const res = await postPayment({
    amount: 4200,
    currency: "EUR",
    payment_method: paymentMethod,
    customer: { email: "buyer@example.test", name: "Buyer" },
    ...over,
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Payment;
}

export async function getPayment(id: string): Promise<Payment> {
  const res = await publicFetch(`/v1/payments/${id}`, { headers: { authorization: `Bearer ${DEV_MERCHANT_KEY}` } });
  if (res.status !== 200) throw new Error(`get failed: ${res.status}`);
  return (await res.json()) as Payment;
}

/** Waits until none of the payments is PENDING (reads the primary: the source of truth). */
export async function waitFinal(ids: string[], timeoutMs: number): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db<{ id: string; status: string }[]>`SELECT id, status FROM payments WHERE id = ANY(${ids})`;
    const pending = rows.filter((r) => r.status === "PENDING").length;
    if (rows.length === ids.length && pending === 0) return new Map(rows.map((r) => [r.id, r.status]));
    if (Date.now() > deadline) throw new Error(`${pending} of ${ids.length} payments still PENDING after ${timeoutMs} ms`);
    await Bun.sleep(200);
  }
}

export async function simAdmin(path: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(`${sim}/__admin/${path}`, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  if (!res.ok) throw new Error(`simulator admin ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export const setFaults = (faults: Record<string, unknown>) => simAdmin("faults", { method: "POST", body: JSON.stringify(faults) });
export const clearFaults = () => simAdmin("faults", { method: "DELETE" });
export const chargesOf = async (paymentId: string) => ((await simAdmin(`charges/${paymentId}`)) as { charges: number; attempts: number }).charges;

export type AuditDoc = {
  _id: string;
  paymentId: string;
  attempt: number;
  outcome: string | null;
  correlationId: string | null;
  startedAt: Date;
  request: { method: string; params: Record<string, unknown> };
};
export const auditOf = (paymentIds: string[]) =>
  mongo
    .db()
    .collection<AuditDoc>("gateway_attempts")
    .find({ paymentId: { $in: paymentIds } })
    .toArray();

/** PaymentResult records on a topic for the given payment ids. */
export function recordsFor(topic: string, keys: string[], timeoutMs = 60_000): { key: string; value: string; headers: Record<string, string> }[] {
  const out = runNode("find-keys.ts", [topic, keys.join(",")], { READ_TIMEOUT_MS: String(timeoutMs) });
  return JSON.parse(out.trim().split("\n").at(-1) ?? "[]");
}

/** Lets simulated time pass at the gateway (idempotency keys expire after 24 h, processing intents settle). */
export const advanceGatewayClock = (ms: number) => simAdmin("clock", { method: "POST", body: JSON.stringify({ advanceMs: ms }) });
export const HOUR_MS = 3_600_000;

export type GatewayRequest = {
  seq: number;
  method: string;
  path: string;
  exchangeId: string | null;
  paymentId: string | null;
  status: number | "reset" | null;
  fault: string | null;
};
/** Every request the gateway received about these payments, from its own log. */
export async function gatewayRequests(paymentIds: string[]): Promise<GatewayRequest[]> {
  const out: GatewayRequest[] = [];
  for (const id of paymentIds) out.push(...((await simAdmin(`requests?payment_id=${id}`)) as { data: GatewayRequest[] }).data);
  return out;
}

export { eventually } from "../setup/wait.ts";

export type ExchangeDoc = { _id: string; paymentId: string; operation: string; response: { status: number | null }; outcome: string };

/**
 * The gateway's request log against the audit store, request by request: each request the
 * gateway received carries an exchange id with a journal entry written before it was sent,
 * and, once answered, exactly one audit document whose recorded answer is what the gateway
 * sent (none where the gateway reset or held the connection). A journal entry with no
 * audit document is an exchange the worker was killed in the middle of: counted in
 * `interrupted`, not a problem by itself. Waits for in-flight answers.
 */
export async function auditAgainstGateway(paymentIds: string[], timeoutMs = 10_000): Promise<{ problems: string[]; interrupted: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const requests = await gatewayRequests(paymentIds);
    const journal = new Set(
      (
        await mongo
          .db()
          .collection<{ _id: string }>("gateway_requests")
          .find({ paymentId: { $in: paymentIds } }, { projection: { _id: 1 } })
          .toArray()
      ).map((d) => d._id),
    );
    const docs = await mongo
      .db()
      .collection<ExchangeDoc>("gateway_attempts")
      .find({ paymentId: { $in: paymentIds } })
      .toArray();
    const byId = new Map(docs.map((d) => [d._id, d]));
    const problems: string[] = [];
    const seen = new Map<string, number>();
    let interrupted = 0;
    for (const r of requests) {
      if (r.exchangeId === null) {
        problems.push(`request #${r.seq} ${r.method} ${r.path} carries no exchange id`);
        continue;
      }
      seen.set(r.exchangeId, (seen.get(r.exchangeId) ?? 0) + 1);
      if (!journal.has(r.exchangeId)) problems.push(`request #${r.seq} (${r.exchangeId}) was sent without a journal entry`);
      const doc = byId.get(r.exchangeId);
      if (!doc) {
        interrupted++;
        continue;
      }
      const recorded = doc.response.status;
      // A reset never answers; a held connection answers after the client gave up, or in time.
      const ok = r.status === "reset" ? recorded === null : r.fault?.startsWith("hang") ? recorded === null || recorded === r.status : recorded === r.status;
      if (!ok) problems.push(`request #${r.seq} (${r.exchangeId}): gateway sent ${r.status}${r.fault ? ` (${r.fault})` : ""}, audit says ${recorded}`);
    }
    for (const [id, n] of seen) if (n > 1) problems.push(`exchange ${id} reached the gateway ${n} times`);
    // A document without a request: it never reached the gateway, so no answer can be on record.
    for (const d of docs) if (!seen.has(d._id) && d.response.status !== null) problems.push(`audit document ${d._id} records an answer the gateway never sent`);
    if ((problems.length === 0 && interrupted === 0) || Date.now() > deadline) return { problems, interrupted };
    await Bun.sleep(200);
  }
}
