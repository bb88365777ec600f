#!/usr/bin/env bun
/**
 * Growth benchmark: the end-to-end figures on the database as it is, then again after
 * seeding SEED_PAYMENTS (1,000,000) payments of history (bench/seed.ts), in one run.
 *
 *   bun bench/growth.ts        # RATES=100,200 STEP_SECONDS=15 SEED_PAYMENTS=1000000
 *
 * Prints both runs side by side with the ratio grown/before for each figure, and writes
 * bench/results/<stamp>-growth/{report.md,report.json,e2e-growth.svg}. The seeded rows stay
 * (a later run measures on the grown database; `bun run stack reset` starts afresh).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { loadStackEnv } from "../shared/config.ts";
import { latencyChart } from "./chart.ts";
import { cpuTable, type Counters } from "./proc-cpu.ts";

const ROOT = join(import.meta.dir, "..");
const progress = (msg: string) => process.stderr.write(`[bench:growth] ${msg}\n`);

type Step = {
  offeredPerSec: number;
  finalPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  overheadP50: number;
  perPayment: Record<string, number>;
  cpuMsPerPayment: Record<string, number>;
};
type E2e = { state: Record<string, number>; idle: { cpuMs: Counters }; results: Step[] };

function e2e(): E2e {
  const r = spawnSync(process.execPath, [join(ROOT, "bench/e2e.ts"), "--json"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`bench/e2e.ts exited with ${r.status}\n${r.stdout}`);
  return JSON.parse(r.stdout.trimEnd().split("\n").pop() ?? "{}") as E2e;
}

/** Lets the seed's aftermath pass before measuring: the replica caught up, a checkpoint taken, statistics fresh. */
async function settleDatabase() {
  const db = postgres(loadStackEnv().DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    await db`CHECKPOINT`;
    for (let i = 0; i < 600; i++) {
      const [r] = await db<{ lag: number | null }[]>`SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn))::float8 AS lag FROM pg_stat_replication`;
      if ((r?.lag ?? 0) < 1_000_000) break;
      await Bun.sleep(1_000);
    }
    await db`VACUUM ANALYZE payments, payment_attempts, events, notifications`;
  } finally {
    await db.end();
  }
}

const before = e2e();
progress(`seeding ${process.env.SEED_PAYMENTS ?? "1000000"} payments`);
const seed = spawnSync(process.execPath, [join(ROOT, "bench/seed.ts")], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
if (seed.status !== 0) throw new Error(`bench/seed.ts exited with ${seed.status}`);
await settleDatabase();
const after = e2e();

const sum = (o: Record<string, number>) => Object.values(o).reduce((n, v) => n + (Number.isFinite(v) ? v : 0), 0);
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && a !== 0 ? (b / a).toFixed(2) : "–");
const rows = before.results.flatMap((b) => {
  const a = after.results.find((x) => x.offeredPerSec === b.offeredPerSec);
  if (!a) return [];
  const figures: [string, number, number][] = [
    ["final/s", b.finalPerSec, a.finalPerSec],
    ["create→final p50 ms", b.p50, a.p50],
    ["create→final p99 ms", b.p99, a.p99],
    ["overhead p50 ms", b.overheadP50, a.overheadP50],
    ["CPU ms per payment, all processes", sum(b.cpuMsPerPayment), sum(a.cpuMsPerPayment)],
    ["Postgres primary CPU ms per payment", b.cpuMsPerPayment["postgres-primary"] ?? NaN, a.cpuMsPerPayment["postgres-primary"] ?? NaN],
    ["transactions per payment", b.perPayment.xacts ?? NaN, a.perPayment.xacts ?? NaN],
    ["WAL bytes per payment", b.perPayment.walBytes ?? NaN, a.perPayment.walBytes ?? NaN],
  ];
  return figures.map(
    ([name, x, y]) =>
      `| ${b.offeredPerSec}/s | ${name} | ${x.toFixed(name.includes("CPU") ? 2 : 0)} | ${y.toFixed(name.includes("CPU") ? 2 : 0)} | ${ratio(x, y)} |`,
  );
});
const n = (s: E2e) => (s.state.payments ?? 0).toLocaleString("en");
const report = `## Growth: the same load before and after seeding history

Before: ${n(before)} payments in the database; after: ${n(after)} (seeded with bench/seed.ts: payments, attempts, events, sent-mail claims).

| rate | figure | before | after | after/before |
|---|---|---|---|---|
${rows.join("\n")}

![create→final before and after seeding](e2e-growth.svg)

CPU ms per finished payment by component (process tree), idle CPU ms per second subtracted, before and after:

${cpuTable(before.idle.cpuMs, [
  ...before.results.map((r) => ({ label: `${r.offeredPerSec}/s before`, cpuMs: r.cpuMsPerPayment })),
  ...after.results.map((r) => ({ label: `${r.offeredPerSec}/s after`, cpuMs: r.cpuMsPerPayment })),
])}
`;
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const dir = join(ROOT, "bench", "results", `${stamp}-growth`);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "report.md"), report);
writeFileSync(join(dir, "report.json"), JSON.stringify({ before, after }, null, 2));
writeFileSync(
  join(dir, "e2e-growth.svg"),
  latencyChart("create→final against offered rate, before and after 1M payments of history", [
    { label: `${n(before)} rows`, points: before.results },
    { label: `${n(after)} rows`, points: after.results, dashed: true },
  ]),
);
console.log(report);
console.log(`written to ${dir}`);
