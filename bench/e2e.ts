/**
 * End-to-end benchmark: payments posted through Caddy at a steady rate, the
 * simulator answering in SIM_LATENCY_MS (50 ms), until each is final.
 *
 *   bun bench/e2e.ts            # RATES=100,200,400,800 STEP_SECONDS=10 SIM_LATENCY_MS=50
 *
 * For each offered rate: accepted/s (201s), final/s (decided within the step
 * plus a drain window), create→final latency p50/p95/p99 from the database's
 * own timestamps (created_at → decided_at). The first rate whose final/s falls
 * below 90% of the offered rate, whose median passes 1 s (a queue is building)
 * or whose p99 passes 5 s is where it stops keeping up. Needs the whole local stack (bun run stack up).
 */
import postgres from "postgres";
import { postPayment } from "../infra/stack/public-api.ts";
import { loadStackEnv } from "../shared/config.ts";

const env = loadStackEnv();
const rates = (process.env.RATES ?? "100,200,400,800").split(",").map(Number);
const stepSeconds = Number(process.env.STEP_SECONDS ?? 10);
const simLatency = Number(process.env.SIM_LATENCY_MS ?? 50);
const db = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
const progress = (msg: string) => process.stderr.write(`[bench:e2e] ${msg}\n`);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function post(): Promise<string | null> {
  const res = await postPayment({ amount: 1999, currency: "EUR", payment_method: "pm_card_visa", customer: { email: "bench@example.test" } }).catch(
    () => null,
  );
  if (res?.status !== 201) return null;
  return ((await res.json()) as { id: string }).id;
}

/** Offers `rate` creates per second for `seconds`, paced by a fixed schedule (not by responses). */
async function offer(rate: number, seconds: number): Promise<string[]> {
  const total = rate * seconds;
  const start = performance.now();
  const pending: Promise<string | null>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    pending.push(post());
  }
  return (await Promise.all(pending)).filter((id): id is string => id !== null);
}

async function step(rate: number) {
  const t0 = Date.now();
  const ids = await offer(rate, stepSeconds);
  const offeredSeconds = (Date.now() - t0) / 1000;
  // Drain window: as long again as the step, then whatever is still pending counts against it.
  const deadline = Date.now() + stepSeconds * 1000;
  let rows: { status: string; ms: number | null }[] = [];
  do {
    await Bun.sleep(500);
    rows = await db<{ status: string; ms: number | null }[]>`
      SELECT status, extract(epoch FROM (decided_at - created_at)) * 1000 AS ms FROM payments WHERE id = ANY(${ids})`;
  } while (rows.some((r) => r.status === "PENDING") && Date.now() < deadline);
  const decided = rows.filter((r) => r.ms !== null).map((r) => Number(r.ms)).sort((a, b) => a - b);
  const lastDecided = await db<{ t: Date }[]>`SELECT max(decided_at) AS t FROM payments WHERE id = ANY(${ids})`;
  const span = ((lastDecided[0]?.t?.getTime() ?? Date.now()) - t0) / 1000;
  return {
    offeredPerSec: rate,
    acceptedPerSec: Math.round(ids.length / offeredSeconds),
    finalPerSec: Math.round(decided.length / Math.max(span, offeredSeconds)),
    final: decided.length,
    accepted: ids.length,
    p50: Math.round(pct(decided, 50)),
    p95: Math.round(pct(decided, 95)),
    p99: Math.round(pct(decided, 99)),
  };
}

await fetch(`${env.STRIPE_API_BASE}/__admin/faults`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ rates: {}, outage: null, latency: { meanMs: simLatency, jitterMs: Math.round(simLatency / 5) } }),
});
const results = [];
let knee: number | null = null;
try {
  for (const rate of rates) {
    progress(`offering ${rate}/s for ${stepSeconds}s`);
    const r = await step(rate);
    results.push(r);
    progress(`  accepted ${r.acceptedPerSec}/s, final ${r.finalPerSec}/s, p50 ${r.p50} ms, p99 ${r.p99} ms`);
    // Not keeping up: decisions lag the offered rate, or a queue builds (median over a second).
    if (knee === null && (r.final < 0.9 * r.accepted || r.finalPerSec < 0.9 * rate || r.p50 > 1_000 || r.p99 > 5_000)) {
      knee = rate;
      break;
    }
  }
} finally {
  await fetch(`${env.STRIPE_API_BASE}/__admin/faults`, { method: "DELETE" });
  await db.end();
}
console.log(`
| offered/s | accepted/s | final/s | create→final p50 | p95 | p99 |
|---|---|---|---|---|---|
${results.map((r) => `| ${r.offeredPerSec} | ${r.acceptedPerSec} | ${r.finalPerSec} | ${r.p50} ms | ${r.p95} ms | ${r.p99} ms |`).join("\n")}

Simulator latency ${simLatency} ms. ${knee === null ? "Kept up at every offered rate." : `Stops keeping up at ${knee}/s offered.`}`);
if (process.argv.includes("--json")) console.log(JSON.stringify({ simLatencyMs: simLatency, stepSeconds, results, kneePerSec: knee }));
