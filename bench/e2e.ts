/**
 * End-to-end benchmark: payments posted through Caddy at a steady rate, the
 * simulator answering in SIM_LATENCY_MS (50 ms), until each is final.
 *
 *   bun bench/e2e.ts            # RATES=100,200,400,800 STEP_SECONDS=10 SIM_LATENCY_MS=50 IDLE_SECONDS=3
 *
 * For each offered rate: accepted/s (201s), final/s (decided within the step
 * plus a drain window), create→final latency p50/p95/p99 from the database's
 * own timestamps (created_at → decided_at). The first rate whose final/s falls
 * below 90% of the offered rate, whose median passes 1 s (a queue is building)
 * or whose p99 passes 5 s is where it stops keeping up. Needs the whole local stack (bun run stack up).
 *
 * And what each finished payment cost, over the step's window (offer, drain, then until
 * nothing is left in flight, so its mails and webhooks count too), less what the stack
 * spends idle over as long (measured for IDLE_SECONDS before the first step):
 * - CPU ms of every component's process tree (bench/proc-cpu.ts): the postmaster for
 *   Postgres (its backends, WAL sender and receiver are its children), the pid file's
 *   process otherwise (for a service, its supervisor and the service under it);
 * - Postgres transactions and WAL bytes on the primary, records appended to Kafka;
 * - the orchestrator's own share of create→final: minus SIM_LATENCY_MS, the one gateway
 *   call's simulated latency (uniform jitter of ±SIM_LATENCY_MS/5 left in), over the
 *   payments held at Stripe, the simulator whose latency this sets.
 * The benchmark's own Postgres backends (its polling) are left out of the CPU figures.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import postgres from "postgres";
import { drained } from "../infra/chaos/invariants.ts";
import { allComponents } from "../infra/stack/components/index.ts";
import { PostgresNode } from "../infra/stack/components/postgres.ts";
import { readPid, runningPid } from "../infra/stack/proc.ts";
import { postPayment } from "../infra/stack/public-api.ts";
import { loadStackEnv } from "../shared/config.ts";
import { kafkaEndOffsets } from "./kafka-offsets.ts";
import { cpuTable, type Counters, fixed, perPayment, ratePerSecond, readProcs, treeCpuMs } from "./proc-cpu.ts";

const env = loadStackEnv();
const rates = (process.env.RATES ?? "100,200,400,800").split(",").map(Number);
const stepSeconds = Number(process.env.STEP_SECONDS ?? 10);
const simLatency = Number(process.env.SIM_LATENCY_MS ?? 50);
const idleSeconds = Number(process.env.IDLE_SECONDS ?? 3);
const clkTck = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;
/** Names the benchmark's own connections, whose backends its CPU figures leave out. */
const APPLICATION_NAME = "bench-e2e";
const db = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {}, connection: { application_name: APPLICATION_NAME } });
const progress = (msg: string) => process.stderr.write(`[bench:e2e] ${msg}\n`);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function post(): Promise<string | null> {
  const res = await postPayment({ amount: 1999, currency: "EUR", payment_method: "pm_card_visa", customer: { email: "bench@example.test" } }).catch(() => null);
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

/**
 * Root pid of each component's process tree. pg_ctl daemonizes the postmaster and the stack
 * keeps no pid file for it: its data directory's postmaster.pid names it. Every other
 * component has the stack's pid file (a service's names its supervisor; the service runs under it).
 */
function stackRoots(): Record<string, number> {
  const roots: Record<string, number> = {};
  for (const c of allComponents()) {
    const pid = c instanceof PostgresNode ? readPid(join(c.dataDir, "postmaster.pid")) : runningPid(c.name);
    if (pid === null) progress(`${c.name} is not running: left out of the CPU figures`);
    else roots[c.name] = pid;
  }
  return roots;
}

type Totals = Counters<"xacts" | "walBytes" | "kafkaRecords" | "kafkaCommits">;

interface Sample {
  /** performance.now() when /proc was read. */
  readonly at: number;
  /** CPU ms by component. */
  readonly cpuMs: Counters;
  /** The primary's transactions and WAL position in bytes, records appended to Kafka. */
  readonly totals: Totals;
}

async function sample(roots: Record<string, number>): Promise<Sample> {
  const own = await db<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE application_name = ${APPLICATION_NAME}`;
  const at = performance.now();
  const cpuMs = treeCpuMs(readProcs(), roots, clkTck, new Set(own.map((r) => r.pid)));
  const [[pg], kafka] = await Promise.all([
    db<{ xacts: number; wal: number }[]>`
      SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database())::float8 AS xacts,
             pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS wal`,
    kafkaEndOffsets(),
  ]);
  const records = Object.values(kafka).reduce((n, x) => n + x, 0);
  return { at, cpuMs, totals: { xacts: pg?.xacts ?? NaN, walBytes: pg?.wal ?? NaN, kafkaRecords: records, kafkaCommits: kafka.__consumer_offsets ?? 0 } };
}

/**
 * Waits (up to `ms`) until nothing is in flight: outbox published, every consumer caught up.
 * Then a second more: a Postgres backend reports its transaction counts at most once a second.
 */
async function settle(ms: number) {
  const deadline = Date.now() + ms;
  while (!(await drained(db)).ok && Date.now() < deadline) await Bun.sleep(500);
  await Bun.sleep(1_000);
}

async function step(rate: number, roots: Record<string, number>, idle: { cpuMs: Counters; totals: Totals }) {
  const before = await sample(roots);
  const t0 = Date.now();
  const ids = await offer(rate, stepSeconds);
  const offeredSeconds = (Date.now() - t0) / 1000;
  // Drain window: as long again as the step, then whatever is still pending counts against it.
  const deadline = Date.now() + stepSeconds * 1000;
  type Row = { status: string; connector: string | null; ms: number | null };
  let rows: Row[] = [];
  do {
    await Bun.sleep(500);
    rows = await db<Row[]>`
      SELECT status, connector, extract(epoch FROM (decided_at - created_at)) * 1000 AS ms FROM payments WHERE id = ANY(${ids})`;
  } while (rows.some((r) => r.status === "PENDING") && Date.now() < deadline);
  const decided = rows
    .filter((r) => r.ms !== null)
    .map((r) => Number(r.ms))
    .sort((a, b) => a - b);
  const overhead = rows
    .filter((r) => r.ms !== null && r.connector === "stripe")
    .map((r) => Number(r.ms) - simLatency)
    .sort((a, b) => a - b);
  const lastDecided = await db<{ t: Date }[]>`SELECT max(decided_at) AS t FROM payments WHERE id = ANY(${ids})`;
  const span = ((lastDecided[0]?.t?.getTime() ?? Date.now()) - t0) / 1000;
  await settle(stepSeconds * 1000);
  const after = await sample(roots);
  const windowSeconds = (after.at - before.at) / 1000;
  return {
    offeredPerSec: rate,
    acceptedPerSec: Math.round(ids.length / offeredSeconds),
    finalPerSec: Math.round(decided.length / Math.max(span, offeredSeconds)),
    final: decided.length,
    accepted: ids.length,
    p50: Math.round(pct(decided, 50)),
    p95: Math.round(pct(decided, 95)),
    p99: Math.round(pct(decided, 99)),
    overheadP50: Math.round(pct(overhead, 50)),
    overheadP95: Math.round(pct(overhead, 95)),
    overheadP99: Math.round(pct(overhead, 99)),
    windowSeconds: Number(windowSeconds.toFixed(1)),
    perPayment: perPayment(before.totals, after.totals, idle.totals, windowSeconds, decided.length),
    cpuMsPerPayment: perPayment(before.cpuMs, after.cpuMs, idle.cpuMs, windowSeconds, decided.length),
  };
}

await fetch(`${env.STRIPE_API_BASE}/__admin/faults`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ rates: {}, outage: null, latency: { meanMs: simLatency, jitterMs: Math.round(simLatency / 5) } }),
});
/** What the database already holds: the same rates cost more on a large history if anything scans it. */
async function stackState(): Promise<Record<string, number>> {
  const [r] = await db<Record<string, number>[]>`
    SELECT (SELECT count(*) FROM payments)::int AS payments, (SELECT count(*) FROM outbox)::int AS outbox,
           (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM notifications)::int AS notifications,
           (SELECT count(*) FROM idempotency_keys)::int AS idempotency_keys,
           pg_database_size(current_database())::float8 AS database_bytes`;
  return r ?? {};
}
const state = await stackState();
progress(
  `stack state: ${Object.entries(state)
    .map(([k, v]) => `${k} ${Math.round(v).toLocaleString("en")}`)
    .join(", ")}`,
);
const results = [];
let knee: number | null = null;
let idle: { seconds: number; cpuMs: Counters; totals: Totals };
try {
  const roots = stackRoots();
  progress(`idle baseline: ${idleSeconds}s with no load`);
  await settle(stepSeconds * 1000);
  const start = await sample(roots);
  await Bun.sleep(idleSeconds * 1000);
  const end = await sample(roots);
  const seconds = (end.at - start.at) / 1000;
  idle = { seconds, cpuMs: ratePerSecond(start.cpuMs, end.cpuMs, seconds), totals: ratePerSecond(start.totals, end.totals, seconds) };
  for (const rate of rates) {
    progress(`offering ${rate}/s for ${stepSeconds}s`);
    const r = await step(rate, roots, idle);
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
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en") : "–");
console.log(`Stack state at the start: ${state.payments?.toLocaleString("en")} payments, ${state.outbox?.toLocaleString("en")} outbox rows, ${state.events?.toLocaleString("en")} events, ${state.notifications?.toLocaleString("en")} notification claims, ${state.idempotency_keys?.toLocaleString("en")} idempotency keys; database ${int((state.database_bytes ?? 0) / 2 ** 20)} MiB.

| offered/s | accepted/s | final/s | create→final p50 | p95 | p99 | overhead p50 | p95 | p99 |
|---|---|---|---|---|---|---|---|---|
${results.map((r) => `| ${r.offeredPerSec} | ${r.acceptedPerSec} | ${r.finalPerSec} | ${r.p50} ms | ${r.p95} ms | ${r.p99} ms | ${r.overheadP50} ms | ${r.overheadP95} ms | ${r.overheadP99} ms |`).join("\n")}

Simulator latency ${simLatency} ms; overhead is create→final less that. ${knee === null ? "Kept up at every offered rate." : `Stops keeping up at ${knee}/s offered.`}

Per finished payment, over each step's window (offer, drain, until nothing is in flight), less the idle rate
(${fixed(idle.seconds, 1)} s before the first step: ${fixed(idle.totals.xacts, 1)} transactions/s, ${int(idle.totals.walBytes)} WAL bytes/s, ${fixed(idle.totals.kafkaRecords, 1)} Kafka records/s):

| offered/s | window | Postgres transactions | WAL bytes | Kafka records | of which offset commits |
|---|---|---|---|---|---|
${results.map((r) => `| ${r.offeredPerSec} | ${r.windowSeconds} s | ${fixed(r.perPayment.xacts, 1)} | ${int(r.perPayment.walBytes)} | ${fixed(r.perPayment.kafkaRecords, 1)} | ${fixed(r.perPayment.kafkaCommits, 1)} |`).join("\n")}

CPU ms per finished payment by component (process tree), idle CPU ms per second subtracted:

${cpuTable(
  idle.cpuMs,
  results.map((r) => ({ label: `${r.offeredPerSec}/s`, cpuMs: r.cpuMsPerPayment })),
)}`);
if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ simLatencyMs: simLatency, stepSeconds, clkTck, state, idle, results, kneePerSec: knee }));
}
