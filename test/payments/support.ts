/** Helpers for end-to-end payment tests: the public API through Caddy, the simulator's admin API, the audit store. */
import { MongoClient } from "mongodb";
import postgres from "postgres";
import { DEV_MERCHANT_KEY } from "../../infra/stack/components/index.ts";
import { endpoints, postPayment, publicFetch } from "../setup/endpoints.ts";
import { runNode } from "../streams/kafka-tools.ts";

export const db = postgres(endpoints.DATABASE_URL, { max: 4, onnotice: () => {} });
export const mongo = new MongoClient(endpoints.MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
export const sim = endpoints.STRIPE_API_BASE;

export type Payment = { id: string; status: string; decline_code: string | null; last_error: string | null; amount: number; currency: string };

export async function createPayment(paymentMethod: string, over: Record<string, unknown> = {}): Promise<Payment> {
  const res = await postPayment({ amount: 4200, currency: "EUR", payment_method: paymentMethod, customer: { email: "buyer@example.test", name: "Buyer" }, ...over });
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

export type AuditDoc = { _id: string; paymentId: string; attempt: number; outcome: string; correlationId: string | null; request: { params: Record<string, unknown> } };
export const auditOf = (paymentIds: string[]) =>
  mongo.db().collection<AuditDoc>("gateway_attempts").find({ paymentId: { $in: paymentIds } }).toArray();

/** PaymentResult records on a topic for the given payment ids. */
export function recordsFor(topic: string, keys: string[], timeoutMs = 60_000): { key: string; value: string; headers: Record<string, string> }[] {
  const out = runNode("find-keys.ts", [topic, keys.join(",")], { READ_TIMEOUT_MS: String(timeoutMs) });
  return JSON.parse(out.trim().split("\n").at(-1) ?? "[]");
}
