/**
 * Load generation with wrk for bench/api-create.ts. At ~2,000 creates/s Bun's fetch over
 * TLS costs about twice the CPU per request that wrk does, on the same cores as the
 * server under test, so the lighter client measures the API rather than the client.
 * wrk does not verify certificates: the caller makes a verified request first.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type LoadResult = { count: number; errors: number; p50: number; p99: number; seconds: number };

/** wrk on PATH, or installed from Debian's packages when we are root; undefined otherwise. */
export function findWrk(): string | undefined {
  const found = Bun.which("wrk");
  if (found || process.getuid?.() !== 0 || !Bun.which("apt-get")) return found ?? undefined;
  const install = () => spawnSync("apt-get", ["install", "-y", "-q", "wrk"], { stdio: "ignore" }).status === 0;
  if (!install()) {
    spawnSync("apt-get", ["update", "-q"], { stdio: "ignore" });
    install();
  }
  return Bun.which("wrk") ?? undefined;
}

// Every request gets its own Idempotency-Key: run prefix + thread + counter.
const SCRIPT = `
local counter, prefix = 0, nil
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) prefix = os.getenv("BENCH_KEY_PREFIX") .. "-" .. tid .. "-" end
local path = os.getenv("BENCH_PATH")
wrk.method = os.getenv("BENCH_METHOD")
if wrk.method == "POST" then
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["content-type"] = "application/json"
end
wrk.headers["authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
function request()
  counter = counter + 1
  wrk.headers["idempotency-key"] = prefix .. counter
  return wrk.format(nil, path)
end
function done(s, latency, requests)
  local e = s.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"errors":%d,"p50":%f,"p99":%f,"us":%d}\\n',
    s.requests, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, s.duration))
end
`;

/**
 * `concurrency` connections for `seconds`: POSTing `body` to `${target}/v1/payments`, or,
 * with `get`, GETting `${target}${get}` (the proxy-only ceiling in bench/api-create.ts).
 */
export function runWrk(opts: { wrk: string; target: string; apiKey: string; body: string; concurrency: number; seconds: number; get?: string }): LoadResult {
  const script = join(tmpdir(), `bench-create-${process.pid}.lua`);
  writeFileSync(script, SCRIPT);
  const threads = Math.min(2, opts.concurrency);
  const res = spawnSync(opts.wrk, ["-t", String(threads), "-c", String(opts.concurrency), "-d", `${opts.seconds}s`, "-s", script, opts.target], {
    encoding: "utf8",
    env: {
      ...process.env,
      BENCH_API_KEY: opts.apiKey,
      BENCH_BODY: opts.body,
      BENCH_KEY_PREFIX: crypto.randomUUID(),
      BENCH_METHOD: opts.get ? "GET" : "POST",
      BENCH_PATH: opts.get ?? "/v1/payments",
    },
  });
  const line = res.stdout.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!line) throw new Error(`wrk failed: ${res.stderr || res.stdout}`);
  const r = JSON.parse(line.slice("BENCH_JSON ".length)) as { requests: number; errors: number; p50: number; p99: number; us: number };
  // wrk counts non-2xx responses among its requests; only successful creates count here.
  return { count: r.requests - r.errors, errors: r.errors, p50: r.p50, p99: r.p99, seconds: r.us / 1e6 };
}
