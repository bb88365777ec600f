/**
 * Benchmark: is POST /v1/payments (validation, auth, idempotency, payment + key + outbox
 * in one durable transaction, through Caddy over HTTPS) close to the raw rate at which
 * Postgres commits durable single-row transactions from Bun with the same pool size?
 *
 *   (a) raw:  C workers, each `INSERT INTO bench_raw ... ` in autocommit (INSERT; COMMIT),
 *             pool of C connections, synchronous_commit as configured on the server (on).
 *   (b) API:  C concurrent clients POSTing unique Idempotency-Keys to PUBLIC_URL.
 *   (c) ceiling: the same client and concurrency GETting /health/live through the same
 *             proxy: TLS, Caddy, an API instance, no database and no work. (b) cannot
 *             beat (c) on this machine, so c/a says how far b/a can go here at all.
 *
 * Prints the rates, b/a, c/a, and p50/p99 latency of (b). Required b/a >= 0.7; the goal
 * of >= 2 comes from group commit (api/payments/group-commit.ts).
 *
 * (b) is driven by wrk when it is on PATH or can be installed (apt, as root), else by
 * Bun's fetch: see bench/wrk-client.ts for why. Either way one certificate-verified
 * request goes first.
 *
 *   bun bench/api-create.ts            # BENCH_SECONDS=10 BENCH_CONCURRENCY=20
 * Env: PUBLIC_URL / CADDY_ROOT_CA (defaults from the stack), BENCH_TARGET_URL to aim (b)
 * at one API instance directly (plain HTTP) when Caddy is not running, BENCH_CLIENT=bun
 * to force the fetch client.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadStackEnv } from "../shared/config.ts";
import { createDb } from "../shared/db/client.ts";
import { migrate } from "../shared/db/migrate.ts";
import { createMerchant } from "../api/merchants/repo.ts";
import { caddyCaPath as caPath } from "../infra/stack/public-api.ts";
import { findWrk, type LoadResult, runWrk } from "./wrk-client.ts";

const env = loadStackEnv();
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 20);
const target = process.env.BENCH_TARGET_URL ?? env.PUBLIC_URL;
const tls = target.startsWith("https:") && existsSync(caPath) ? { ca: readFileSync(caPath, "utf8") } : undefined;

async function runFor(workers: number, ms: number, op: () => Promise<void>): Promise<{ count: number; latencies: number[]; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await op();
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { count: latencies.length, latencies, errors };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

// (a) raw durable single-row commits
const sql = createDb({ url: env.DATABASE_URL, max: concurrency, applicationName: "bench" });
await migrate(sql);
await sql`CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, v text NOT NULL, at timestamptz NOT NULL DEFAULT now())`;
const syncCommit = (await sql`SHOW synchronous_commit`)[0]!.synchronous_commit as string;
const fsync = (await sql`SHOW fsync`)[0]!.fsync as string;
await runFor(concurrency, 1000, async () => void (await sql`INSERT INTO bench_raw (v) VALUES (${"warmup"})`));
const raw = await runFor(concurrency, seconds * 1000, async () => {
  await sql`INSERT INTO bench_raw (v) VALUES (${crypto.randomUUID()})`;
});
await sql`DROP TABLE bench_raw`;

// (b) the API, end to end
const merchant = await createMerchant(sql, "Bench");
const body = JSON.stringify({
  amount: 1999,
  currency: "USD",
  payment_method: "pm_card_visa",
  customer: { email: "bench@example.com", name: "Bench" },
  description: "benchmark",
});
const post = async () => {
  const res = await fetch(`${target}/v1/payments`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${merchant.apiKey}`,
      "content-type": "application/json",
      "idempotency-key": crypto.randomUUID(),
    },
    body,
    tls,
  } as RequestInit);
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`status ${res.status}`);
};
await post(); // fails fast if the target is wrong, and verifies Caddy's certificate
const wrk = process.env.BENCH_CLIENT === "bun" ? undefined : findWrk();
if (!wrk && process.env.BENCH_CLIENT !== "bun") console.log("note: wrk not found and not installable; (b) uses Bun's fetch");
const live = async () => {
  const res = await fetch(`${target}/health/live`, { tls } as RequestInit);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
};
async function load(get?: string): Promise<LoadResult> {
  if (wrk) {
    const opts = { wrk, target, apiKey: merchant.apiKey, body, concurrency, get };
    runWrk({ ...opts, seconds: 1 });
    return runWrk({ ...opts, seconds });
  }
  const op = get ? live : post;
  await runFor(concurrency, 1000, op);
  const run = await runFor(concurrency, seconds * 1000, op);
  const sorted = run.latencies.sort((x, y) => x - y);
  return { count: run.count, errors: run.errors, p50: pct(sorted, 50), p99: pct(sorted, 99), seconds };
}
const api = await load();
const ceiling = await load("/health/live");
await sql.end({ timeout: 5 });

const rawRate = raw.count / seconds;
const apiRate = api.count / api.seconds;
const ceilingRate = ceiling.count / ceiling.seconds;
const result = {
  at: new Date().toISOString(),
  target,
  client: wrk ? "wrk" : "bun-fetch",
  concurrency,
  pool: concurrency,
  seconds,
  postgres: { synchronous_commit: syncCommit, fsync },
  raw_commits_per_s: Math.round(rawRate),
  api_creates_per_s: Math.round(apiRate),
  ratio: Number((apiRate / rawRate).toFixed(2)),
  proxy_ceiling_per_s: Math.round(ceilingRate),
  ceiling_ratio: Number((ceilingRate / rawRate).toFixed(2)),
  api_p50_ms: Number(api.p50.toFixed(2)),
  api_p99_ms: Number(api.p99.toFixed(2)),
  api_errors: api.errors,
  raw_errors: raw.errors,
};
console.log(`(a) raw INSERT;COMMIT  ${result.raw_commits_per_s}/s  (pool ${concurrency}, synchronous_commit=${syncCommit}, fsync=${fsync})`);
console.log(`(b) POST /v1/payments  ${result.api_creates_per_s}/s  via ${target}  (${concurrency} concurrent, ${result.client})`);
console.log(`    ratio b/a = ${result.ratio}   p50 ${result.api_p50_ms} ms   p99 ${result.api_p99_ms} ms   errors ${api.errors}`);
console.log(`(c) GET /health/live   ${result.proxy_ceiling_per_s}/s  same client, same proxy, no database: the most (b) can reach here`);
console.log(`    ceiling c/a = ${result.ceiling_ratio}   (b reaches ${Math.round((100 * apiRate) / ceilingRate)} % of it)`);
const dir = join(import.meta.dir, "results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `api-create-${Date.now()}.json`), JSON.stringify(result, null, 2));
if (process.argv.includes("--json")) console.log(JSON.stringify(result));
