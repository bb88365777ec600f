#!/usr/bin/env bun
/**
 * The native local stack: `bun run stack <command>`.
 *
 *   up [name…] [--foreground] [--profile single|cluster]
 *                                provision (first run builds/downloads into the cache) and start;
 *                                the profile is remembered until `down`, so later commands address it
 *   failover                     cluster profile: promote the standby, make the old primary its standby
 *   status                       health and endpoint of every component (exit 1 if any is down)
 *   logs [name…] [-f]            log tails, prefixed by component name
 *   start|stop|restart <name…>   one component at a time
 *   down                         stop everything, keep data
 *   reset                        stop everything and delete the data directories
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { STACK_PROFILES, type StackProfile } from "../../shared/config.ts";
import type { Component } from "./component.ts";
import { allComponents } from "./components/index.ts";
import { DEV_MERCHANT_KEY } from "./components/index.ts";
import { caddyRootCa } from "./components/caddy.ts";
import { failover } from "./failover.ts";
import { logFile, PROFILE_FILE, STACK_DIR } from "./paths.ts";
import { rmrf, sleep, StackError, tail } from "./proc.ts";

const COLORS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96];
const color = (name: string, i: number) => (process.stdout.isTTY ? `\x1b[${COLORS[i % COLORS.length]}m${name}\x1b[0m` : name);

function select(names: string[]): Component[] {
  const all = allComponents();
  if (names.length === 0) return all;
  const unknown = names.filter((n) => !all.some((c) => c.name === n));
  if (unknown.length) throw new StackError(`unknown component(s): ${unknown.join(", ")}; known: ${all.map((c) => c.name).join(", ")}`);
  return all.filter((c) => names.includes(c.name));
}

async function up(components: Component[]) {
  const t0 = performance.now();
  for (const c of components) await c.provision();
  const t1 = performance.now();
  for (const c of components) {
    const s = performance.now();
    await c.start();
    console.log(`[stack] ${c.name.padEnd(18)} up in ${((performance.now() - s) / 1000).toFixed(1)}s  ${c.endpoint()}`);
  }
  const total = (performance.now() - t0) / 1000;
  console.log(`[stack] ready in ${total.toFixed(1)}s (provision ${((t1 - t0) / 1000).toFixed(1)}s)`);
  if (components.some((c) => c.name === "api-1")) {
    console.log(`[stack] dev merchant API key: ${DEV_MERCHANT_KEY}`);
    console.log(
      `[stack] try: curl --cacert ${caddyRootCa()} -H "Authorization: Bearer ${DEV_MERCHANT_KEY}" ${
        allComponents()
          .find((c) => c.name === "caddy")
          ?.endpoint()
          .split(" ")[0]
      }/v1/payments`,
    );
  }
}

async function down(components: Component[]) {
  for (const c of [...components].reverse()) {
    const was = c.running();
    await c.stop();
    if (was) console.log(`[stack] ${c.name} stopped`);
  }
}

async function status(): Promise<boolean> {
  let allHealthy = true;
  const rows = await Promise.all(
    allComponents().map(async (c) => {
      const running = c.running();
      const healthy = running && (await c.healthy());
      if (!healthy) allHealthy = false;
      return [c.name, healthy ? "healthy" : running ? "UNHEALTHY" : "stopped", c.endpoint()] as const;
    }),
  );
  for (const [name, state, endpoint] of rows) console.log(`${name.padEnd(18)} ${state.padEnd(10)} ${endpoint}`);
  return allHealthy;
}

const logSizes = (components: Component[]) => new Map(components.map((c) => [c.name, existsSync(logFile(c.name)) ? statSync(logFile(c.name)).size : 0]));

/** Follows log files (like tail -F on several at once), each line prefixed by its component. */
async function follow(components: Component[], signal: AbortSignal, offsets = logSizes(components)) {
  const partial = new Map<string, string>();
  const buf = Buffer.alloc(1 << 16);
  while (!signal.aborted) {
    components.forEach((c, i) => {
      const file = logFile(c.name);
      if (!existsSync(file)) return;
      const size = statSync(file).size;
      let pos = offsets.get(c.name) ?? 0;
      if (size < pos) pos = 0;
      if (size === pos) return;
      const fd = openSync(file, "r");
      let text = partial.get(c.name) ?? "";
      while (pos < size) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) break;
        text += buf.subarray(0, n).toString("utf8");
        pos += n;
      }
      closeSync(fd);
      offsets.set(c.name, pos);
      const lines = text.split("\n");
      partial.set(c.name, lines.pop() ?? "");
      const prefix = color(c.name.padEnd(18), i);
      for (const line of lines) process.stdout.write(`${prefix} | ${line}\n`);
    });
    await sleep(200);
  }
}

const isProfile = (p: string): p is StackProfile => (STACK_PROFILES as readonly string[]).includes(p);

const recordedProfile = (): StackProfile | undefined => {
  const p = existsSync(PROFILE_FILE) ? readFileSync(PROFILE_FILE, "utf8").trim() : "";
  return isProfile(p) ? p : undefined;
};

/**
 * The profile every command addresses: `--profile`, else STACK_PROFILE, else the one the
 * stack was last brought up with. It is set in this process's environment, so the stack's
 * configuration (shared/config.ts) and every component follow it. `up` with another
 * profile than a running stack's is refused: both use the same ports.
 */
function chooseProfile(cmd: string, given: string | undefined): StackProfile {
  const recorded = recordedProfile();
  const wanted = given ?? process.env.STACK_PROFILE ?? recorded ?? "single";
  if (!isProfile(wanted)) throw new StackError(`unknown profile ${wanted}; known: ${STACK_PROFILES.join(", ")}`);
  if ((cmd === "up" || cmd === "start") && recorded && recorded !== wanted) {
    process.env.STACK_PROFILE = recorded;
    const running = allComponents().filter((c) => c.running());
    if (running.length)
      throw new StackError(`the ${recorded} profile is running (${running.map((c) => c.name).join(", ")}); stop it first: bun run stack down`);
  }
  process.env.STACK_PROFILE = wanted;
  return wanted;
}

async function main(argv: string[]) {
  const [cmd = "status", ...args] = argv;
  const at = args.findIndex((a) => a === "--profile" || a.startsWith("--profile="));
  const profileArg = at < 0 ? undefined : args[at]!.includes("=") ? args[at]!.split("=")[1] : args[at + 1];
  const rest = at < 0 ? args : args.filter((_, i) => i !== at && !(i === at + 1 && !args[at]!.includes("=")));
  const flags = new Set(rest.filter((a) => a.startsWith("-")));
  const names = rest.filter((a) => !a.startsWith("-"));
  const profile = chooseProfile(cmd, profileArg);
  switch (cmd) {
    case "up": {
      const comps = select(names);
      mkdirSync(dirname(PROFILE_FILE), { recursive: true });
      writeFileSync(PROFILE_FILE, `${profile}\n`);
      if (profile !== "single") console.log(`[stack] profile ${profile}`);
      // In the foreground, show this start's log lines too, not only what comes after it.
      const from = logSizes(comps);
      await up(comps);
      if (flags.has("--foreground")) {
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        console.log("[stack] following logs; Ctrl-C stops the stack");
        await follow(comps, ac.signal, from);
        await down(comps);
      }
      return 0;
    }
    case "start":
      await up(select(names));
      return 0;
    case "stop":
      await down(select(names));
      return 0;
    case "restart": {
      const comps = select(names);
      await down(comps);
      await up(comps);
      return 0;
    }
    case "provision":
      for (const c of select(names)) await c.provision();
      return 0;
    case "status":
      return (await status()) ? 0 : 1;
    case "logs": {
      const comps = select(names);
      if (flags.has("-f") || flags.has("--follow")) {
        const ac = new AbortController();
        process.once("SIGINT", () => ac.abort());
        comps.forEach((c, i) => console.log(tail(logFile(c.name), 20).replace(/^/gm, `${color(c.name.padEnd(18), i)} | `)));
        await follow(comps, ac.signal);
      } else {
        comps.forEach((c, i) => console.log(tail(logFile(c.name), 40).replace(/^/gm, `${color(c.name.padEnd(18), i)} | `)));
      }
      return 0;
    }
    case "down":
      await down(allComponents());
      rmSync(PROFILE_FILE, { force: true });
      return 0;
    case "failover":
      if (profile !== "cluster") throw new StackError("failover needs the cluster profile (bun run stack up --profile cluster)");
      await failover();
      return 0;
    case "reset":
      await down(allComponents());
      rmrf(STACK_DIR);
      console.log(`[stack] removed ${STACK_DIR}`);
      return 0;
    default:
      console.error("usage: bun run stack up|status|logs|start|stop|restart|down|reset|failover [name…] [--foreground] [-f] [--profile single|cluster]");
      return 2;
  }
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (e) {
  if (e instanceof StackError) {
    console.error(`[stack] ${e.message}`);
    process.exit(1);
  }
  throw e;
}
