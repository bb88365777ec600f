#!/usr/bin/env bun
/**
 * One benchmark report: `bun run bench`.
 * Runs every benchmark (each measures its own baseline in the same run) and
 * writes bench/results/<stamp>/report.md and report.json (git-ignored).
 * Progress goes to the terminal as it runs. Needs the local stack up.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { type LatencyPoint, latencyChart } from "./chart.ts";

const ROOT = join(import.meta.dir, "..");
const NODE = join(ROOT, "node_modules/.bin/node");

interface Bench {
  readonly key: string;
  readonly title: string;
  readonly cmd: string[];
  /** Stack services stopped while it runs (restarted after), so it measures what it names. */
  readonly pause?: readonly string[];
}

const STREAM_SERVICES = ["outbox-relay", "payment-worker", "notification-worker", "dlq-consumer"];
const stack = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, "infra/stack/cli.ts"), ...args], { stdio: ["ignore", "ignore", "inherit"] });

// The API benchmark goes last: payments it creates while the stream services are paused
// are processed after it, and would queue ahead of the end-to-end run's.
const benches: Bench[] = [
  { key: "streams", title: "Stream engine vs partition-sequential consumer", cmd: [NODE, "bench/stream-engine.ts", "--json"] },
  { key: "e2e", title: "End to end: create → final", cmd: [process.execPath, "bench/e2e.ts", "--json"] },
  { key: "audit", title: "Audit inserts: batched vs one by one", cmd: [process.execPath, "bench/audit.ts", "--json"] },
  // The API alone: with the stream services running, every payment it creates is charged and
  // mailed on the same two cores meanwhile (the end-to-end figures cover that).
  {
    key: "api",
    title: "API create throughput vs raw durable insert (stream services paused)",
    cmd: [process.execPath, "bench/api-create.ts", "--json"],
    pause: STREAM_SERVICES,
  },
];

function run(b: Bench): Promise<{ table: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(b.cmd[0] as string, b.cmd.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${b.key} exited with ${code}\n${out}`));
      const lines = out.trimEnd().split("\n");
      const json = JSON.parse(lines.pop() ?? "{}");
      resolve({ table: lines.join("\n").trim(), json });
    });
  });
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
const sections: string[] = [];
const results: Record<string, unknown> = {};
for (const [i, b] of benches.entries()) {
  process.stderr.write(`\n[bench ${i + 1}/${benches.length}] ${b.title}\n`);
  const t0 = Date.now();
  if (b.pause) stack("stop", ...b.pause);
  try {
    const r = await run(b);
    results[b.key] = r.json;
    const chart = b.key === "e2e" ? "\n\n![create→final against offered rate](e2e-latency.svg)" : "";
    sections.push(`## ${b.title}\n\n${r.table}${chart}\n\n(${Math.round((Date.now() - t0) / 1000)} s)`);
  } catch (err) {
    results[b.key] = { error: String(err) };
    sections.push(`## ${b.title}\n\nFAILED: ${String(err).split("\n")[0]}`);
  } finally {
    if (b.pause) stack("start", ...b.pause);
  }
}
const versions = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies as Record<string, string>;
const report = `# Benchmark report, ${new Date().toISOString().slice(0, 10)}

Machine: ${machine}. Bun ${Bun.version}, Node ${versions.node}. Every figure is measured in the
same run as its baseline; absolute rates on a shared machine are noisy, the ratios less so.

${sections.join("\n\n")}
`;
const dir = join(ROOT, "bench", "results", stamp);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "report.md"), report);
const e2e = results.e2e as { results?: LatencyPoint[] } | undefined;
if (e2e?.results?.length) {
  writeFileSync(
    join(dir, "e2e-latency.svg"),
    latencyChart("create→final against offered rate (50 ms simulated gateway)", [{ label: "this run", points: e2e.results }], { ms: 1000, label: "p99 < 1 s" }),
  );
}
writeFileSync(join(dir, "report.json"), JSON.stringify({ at: new Date().toISOString(), machine, results }, null, 2));
console.log(report);
console.log(`written to ${dir}/report.md and report.json`);
