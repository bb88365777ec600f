/**
 * The production entry point itself (`bun api/main.ts`), started against the tests' own
 * database: what it mounts, where it listens, and what it refuses to start with. The
 * in-process tests use the same builder; this one proves main.ts uses it too.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { DEV_KEYS } from "../../api/config.ts";
import { prepareTestDatabase, testDatabaseUrls } from "./harness.ts";

const MAIN = join(import.meta.dir, "../../api/main.ts");
const OPS_KEY = "ops_edge_main_T4x9Qm2Lr7Vc1Nz8Bk3Hw6Pd";

type Run = { proc: ChildProcess; out: string[]; exited: Promise<number | null> };
const runs: Run[] = [];

/** main.ts with only the variables given (plus the test database), so nothing leaks in from the shell. */
function startMain(extra: Record<string, string>): Run {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    DATABASE_URL: testDatabaseUrls.primary,
    DATABASE_READ_URL: testDatabaseUrls.replica,
    PORT: "0",
    LOG_LEVEL: "info",
    ...extra,
  };
  const proc = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  const out: string[] = [];
  proc.stdout!.on("data", (b: Buffer) => out.push(b.toString()));
  proc.stderr!.on("data", (b: Buffer) => out.push(b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const run = { proc, out, exited };
  runs.push(run);
  return run;
}

async function listening(run: Run, deadlineMs = 20_000): Promise<{ host: string; port: number }> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    for (const line of run.out.join("").split("\n")) {
      if (!line.includes("payment API listening")) continue;
      const { host, port } = JSON.parse(line) as { host: string; port: number };
      return { host, port };
    }
    if (run.proc.exitCode !== null) throw new Error(`main.ts exited ${run.proc.exitCode}: ${run.out.join("")}`);
    await Bun.sleep(25);
  }
  throw new Error(`main.ts never said it was listening: ${run.out.join("")}`);
}

async function exitOf(run: Run, deadlineMs = 20_000): Promise<number | null> {
  const code = await Promise.race([run.exited, Bun.sleep(deadlineMs).then(() => "timeout" as const)]);
  if (code === "timeout") throw new Error(`main.ts did not exit: ${run.out.join("")}`);
  return code;
}

beforeAll(() => prepareTestDatabase());
afterAll(async () => {
  for (const r of runs) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGTERM");
  await Promise.all(runs.map((r) => exitOf(r)));
});

test("main.ts mounts the operator endpoints, listens on loopback only, and names itself by SERVICE_NAME", async () => {
  const run = startMain({ OPS_API_KEY: OPS_KEY, SERVICE_NAME: "edge-main" });
  const { host, port } = await listening(run);
  expect(host).toBe("127.0.0.1");
  const base = `http://127.0.0.1:${port}`;
  const withKey = await fetch(`${base}/ops/dead-letters?limit=1`, { headers: { authorization: `Bearer ${OPS_KEY}` } });
  expect(withKey.status).toBe(200);
  expect(((await withKey.json()) as { data: unknown[] }).data).toBeArray();
  const without = await fetch(`${base}/ops/dead-letters`);
  expect(without.status).toBe(401);
  expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: "ok", instance: "edge-main" });
  // Another address of this machine must not reach it.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal);
  if (external) {
    const reached = await fetch(`http://${external.address}:${port}/health/live`).then(
      () => true,
      () => false,
    );
    expect(reached).toBe(false);
  }
  run.proc.kill("SIGTERM");
  expect(await exitOf(run)).toBe(0);
});

test.each([
  ["the published operator key", { OPS_API_KEY: DEV_KEYS.ops }, "OPS_API_KEY"],
  ["the published dev merchant key", { DEV_MERCHANT_KEY: DEV_KEYS.merchant }, "DEV_MERCHANT_KEY"],
  ["dev merchant seeding", { SEED_DEV_MERCHANT: "1" }, "SEED_DEV_MERCHANT"],
])("outside dev mode main.ts refuses to start with %s, and says why", async (_what, env, name) => {
  const run = startMain(env);
  const code = await exitOf(run);
  expect(code).not.toBe(0);
  const output = run.out.join("");
  expect(output).toContain(name);
  expect(output).toContain("PAYORCH_DEV_MODE=1");
  expect(output).not.toContain("payment API listening");
  for (const key of Object.values(DEV_KEYS)) expect(output).not.toContain(key);
});

test("in dev mode main.ts seeds the dev merchant with the published key", async () => {
  const run = startMain({ PAYORCH_DEV_MODE: "1", SEED_DEV_MERCHANT: "1", DEV_MERCHANT_KEY: DEV_KEYS.merchant, OPS_API_KEY: DEV_KEYS.ops });
  const { port } = await listening(run);
  const res = await fetch(`http://127.0.0.1:${port}/v1/payments?limit=1`, { headers: { authorization: `Bearer ${DEV_KEYS.merchant}` } });
  expect(res.status).toBe(200);
  run.proc.kill("SIGTERM");
  expect(await exitOf(run)).toBe(0);
});
