/** Test-side helpers for running Node processes against the real Kafka (the client cannot load under Bun). */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endpoints } from "../setup/endpoints.ts";

export const ROOT = join(import.meta.dir, "../..");
export const NODE = join(ROOT, "node_modules/.bin/node");
const nodeEnv = () => ({ ...process.env, KAFKA_BROKERS: endpoints.KAFKA_BROKERS, PARTITIONS: String(endpoints.KAFKA_PARTITIONS) });

export const uniqueName = (prefix: string) => `${prefix}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function runNode(script: string, args: string[], extraEnv: Record<string, string> = {}): string {
  const r = spawnSync(NODE, [join(import.meta.dir, script), ...args], { encoding: "utf8", env: { ...nodeEnv(), ...extraEnv }, timeout: 360_000 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export function produce(topic: string, records: { key: string; value: string; headers?: Record<string, string> }[]): void {
  const file = join(tmpdir(), `${topic}.json`);
  writeFileSync(file, JSON.stringify(records));
  runNode("produce.ts", [topic, file]);
}

export interface TopicRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export function readTopic(topic: string, count: number): TopicRecord[] {
  const rows = JSON.parse(
    runNode("read-topic.ts", [topic, String(count)])
      .trim()
      .split("\n")
      .at(-1) ?? "[]",
  ) as TopicRecord[];
  return rows.map((r) => ({ ...r, value: r.value === null ? null : Buffer.from(r.value, "base64").toString("utf8") }));
}

export function startWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(NODE, [join(import.meta.dir, "recording-worker.ts")], { env: { ...nodeEnv(), ...env }, stdio: ["ignore", "inherit", "inherit"] });
  return child;
}

export function stopped(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

export type LogEntry = { ev: string; id: string; key: string; seq: number; attempt: number; topic: string; dueAt?: string; pid: number; t: number };

export function readLog(file: string): LogEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim().startsWith("{") && l.trim().endsWith("}"))
    .map((l) => JSON.parse(l) as LogEntry);
}

/** Distinct records whose handling finished. */
export const finishedIds = (log: LogEntry[]) => new Set(log.filter((e) => e.ev === "end").map((e) => e.id));
