#!/usr/bin/env bun
/**
 * Chaos run: `bun run chaos [short|long]`.
 *
 * A steady load of payments flows through Caddy while the simulator injects
 * transient gateway faults and the run kills services, restarts the broker and
 * the Postgres primary, and stops Mailpit and FerretDB for a while. Then it
 * lets the system drain and checks the invariants, one numbered line each;
 * the exit code is non-zero if any fails. `short` (CI) takes a few minutes.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import postgres from "postgres";
import { loadStackEnv } from "../../shared/config.ts";
import { schedule } from "./faults.ts";
import { auditComplete, consumerLag, doubleCharges, drained, lost, paymentRows, resultsAndEmails, type Check } from "./invariants.ts";
import { runLoad } from "./load.ts";

const PROFILES = {
  short: { rate: 15, seconds: 90, scale: 1, drainSeconds: 420 },
  long: { rate: 40, seconds: 900, scale: 10, drainSeconds: 900 },
} as const;
const profileName = (process.argv[2] ?? "short") as keyof typeof PROFILES;
const profile = PROFILES[profileName];
if (!profile) {
  console.error("usage: bun run chaos [short|long]");
  process.exit(2);
}
const log = (msg: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const env = loadStackEnv();
const sim = (path: string, body?: unknown) =>
  fetch(`${env.STRIPE_API_BASE}/__admin/${path}`, { method: body === undefined ? "DELETE" : "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

const up = spawnSync(process.execPath, [join(import.meta.dir, "../stack/cli.ts"), "up"], { stdio: "inherit" });
if (up.status !== 0) process.exit(1);

const db = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
const mongo = new MongoClient(env.MONGO_URL, { serverSelectionTimeoutMS: 10_000 });

log(`profile ${profileName}: ${profile.rate} payments/s for ${profile.seconds} s; transient gateway faults on`);
await sim("faults", { latency: { meanMs: 20, jitterMs: 10 }, rates: { "500": 0.03, "503": 0.03, "429": 0.02, reset: 0.02, hang: 0.01 }, phase: "mixed", hangMs: 12_000 });

const abort = new AbortController();
const started = Date.now();
const load = runLoad(profile.rate, profile.seconds, abort.signal);
const faultErrors: string[] = [];
const faults = (async () => {
  for (const f of schedule(profile.scale)) {
    const wait = started + f.at * 1000 - Date.now();
    if (wait > 0) await Bun.sleep(wait);
    log(`fault: ${f.name}`);
    await f.run().catch((e: unknown) => faultErrors.push(`${f.name}: ${e instanceof Error ? e.message : String(e)}`));
  }
})();
const [stats] = await Promise.all([load, faults]);
await sim("faults");
log(`load done: ${stats.created.length} answered 201, ${stats.rejected} rejected, ${stats.gaveUp} gave up after retries, ${stats.retries} retried requests`);

// Drain: every payment final or dead-lettered, every final one mailed, outbox empty, no lag.
const ids = stats.created.map((c) => c.id);
const deadline = Date.now() + profile.drainSeconds * 1000;
for (;;) {
  const rows = await paymentRows(db, ids);
  const open = ids.filter((id) => {
    const r = rows.get(id);
    return !r || (r.status === "PENDING" && !r.dead) || (r.status !== "PENDING" && (!r.sent || r.results !== 1));
  }).length;
  const [o] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`;
  const lag = await consumerLag();
  if (open === 0 && o?.n === 0 && lag === 0) break;
  if (Date.now() > deadline) {
    log(`drain timed out: ${open} payments not settled, ${o?.n} outbox rows, lag ${lag}`);
    break;
  }
  log(`draining: ${open} payments not settled yet, ${o?.n} outbox rows, lag ${lag}`);
  await Bun.sleep(5_000);
}

const rows = await paymentRows(db, ids);
const checks: Check[] = [
  lost(stats.created, rows),
  await doubleCharges(stats.created, rows),
  await resultsAndEmails(stats.created, rows),
  await auditComplete(mongo, stats.created, rows, new Date(started - 1_000)),
  await drained(db),
  { name: "faults injected", ok: faultErrors.length === 0, detail: faultErrors.length ? faultErrors.join("; ") : `${schedule(profile.scale).length} faults, all carried out` },
  { name: "load answered", ok: stats.created.length > 0 && stats.gaveUp === 0, detail: `${stats.created.length} created, ${stats.gaveUp} requests without a definite answer after 60 s of retries` },
];
checks.forEach((c, i) => console.log(`${i + 1}. ${c.ok ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`));
const failed = checks.filter((c) => !c.ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
await Promise.all([db.end(), mongo.close()]);
process.exit(failed === 0 ? 0 : 1);
