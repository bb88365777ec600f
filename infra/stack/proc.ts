import { spawn, spawnSync, type SpawnSyncOptions } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";
import { logFile, pidFile } from "./paths.ts";

export class StackError extends Error {
  override name = "StackError";
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function readPid(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number.parseInt(readFileSync(file, "utf8").split("\n")[0] ?? "", 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function runningPid(name: string): number | null {
  const pid = readPid(pidFile(name));
  return pid !== null && isAlive(pid) ? pid : null;
}

export interface DetachedOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/**
 * Starts a long-running process in its own session (so it outlives this CLI and
 * a Ctrl-C in the terminal does not reach it), output appended to its log file.
 */
export function startDetached(name: string, cmd: string, args: string[], opts: DetachedOptions = {}): number {
  const log = logFile(name);
  mkdirSync(dirname(log), { recursive: true });
  mkdirSync(dirname(pidFile(name)), { recursive: true });
  const fd = openSync(log, "a");
  writeFileSync(fd, `\n=== ${new Date().toISOString()} starting ${name}: ${cmd} ${args.join(" ")}\n`);
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env } as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new StackError(`${name}: could not start ${cmd}`);
  child.unref();
  writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

/** SIGTERM, then SIGKILL after the grace period. Resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 15_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the whole process group started by startDetached
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal("SIGKILL");
    while (isAlive(pid)) await sleep(50);
  }
}

export async function stopNamed(name: string, graceMs?: number): Promise<boolean> {
  const pid = runningPid(name);
  if (pid !== null) await stopPid(pid, graceMs);
  rmSync(pidFile(name), { force: true });
  return pid !== null;
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new StackError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-25).join("\n");
    throw new StackError(`${cmd} ${args.join(" ")} exited with ${r.status}\n${out}`);
  }
  return String(r.stdout ?? "");
}

export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/** Polls until check() is true; on timeout throws with the component's log tail. */
export async function waitFor(name: string, check: () => Promise<boolean>, timeoutMs: number, log = logFile(name)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new StackError(`${name} did not become healthy within ${timeoutMs / 1000}s. Last lines of ${log}:\n${tail(log)}`);
}

export function tcpOpen(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

export async function httpOk(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

export function rmrf(path: string) {
  rmSync(path, { recursive: true, force: true });
}
