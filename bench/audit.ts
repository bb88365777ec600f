/**
 * Audit-store insert rate: the payment worker's batched, unordered insertMany
 * against one insertOne per document, same documents, same run, same store
 * (FerretDB on the local stack).
 *   bun bench/audit.ts [--json]        # AUDIT_DOCS=5000 AUDIT_BATCH=500
 */
import { MongoClient } from "mongodb";
import { loadStackEnv } from "../shared/config.ts";

const N = Number(process.env.AUDIT_DOCS ?? 5000);
const BATCH = Number(process.env.AUDIT_BATCH ?? 500);
const progress = (msg: string) => process.stderr.write(`[bench:audit] ${msg}\n`);
const client = new MongoClient(loadStackEnv().MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
const db = client.db(`bench_audit_${Date.now().toString(36)}`);

const doc = (run: string, i: number) => ({
  _id: `${run}:pay_${i.toString(16).padStart(32, "0")}:1`,
  paymentId: `pay_${i.toString(16).padStart(32, "0")}`,
  attempt: 1,
  correlationId: crypto.randomUUID(),
  request: { method: "POST", path: "/v1/payment_intents", params: { amount: 4200, currency: "eur", payment_method: "[redacted]" } },
  response: { status: 200, body: { id: `pi_${i}`, object: "payment_intent", status: "succeeded", amount: 4200 } },
  startedAt: new Date(),
  durationMs: 51.2,
  outcome: "approved",
});

async function timed(name: string, fn: () => Promise<void>): Promise<number> {
  progress(name);
  const t0 = performance.now();
  await fn();
  return (N / (performance.now() - t0)) * 1000;
}

const one = db.collection("one_by_one");
const many = db.collection("batched");
for (const c of [one, many]) await c.createIndex({ paymentId: 1, startedAt: 1 });
const single = await timed(`one-by-one: ${N} insertOne`, async () => {
  for (let i = 0; i < N; i++) await one.insertOne(doc("one", i) as never);
});
const batched = await timed(`batched: ${N} docs in insertMany of ${BATCH} (ordered: false)`, async () => {
  for (let i = 0; i < N; i += BATCH)
    await many.insertMany(Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => doc("many", i + j)) as never[], { ordered: false });
});
await db.dropDatabase();
await client.close();
const result = { docs: N, batch: BATCH, oneByOnePerSec: Math.round(single), batchedPerSec: Math.round(batched), ratio: +(batched / single).toFixed(1) };
console.log(
  `| audit inserts (${N} docs) | docs/s |\n|---|---|\n| one insertOne each | ${result.oneByOnePerSec} |\n| insertMany of ${BATCH}, unordered | ${result.batchedPerSec} (${result.ratio}×) |`,
);
if (process.argv.includes("--json")) console.log(JSON.stringify(result));
