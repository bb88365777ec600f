/**
 * What a benchmark step cost the stack's processes, from /proc: CPU per process tree and
 * other counters, per finished payment, less what the same processes spend idle.
 *
 * A component's CPU is its whole process tree (its root and every live descendant, by
 * parent pid), each process counted with utime+stime+cutime+cstime: when a child exits (a
 * Postgres backend whose connection closed, a service its supervisor restarts) the kernel
 * adds its time to the parent's cutime/cstime as the parent reaps it, so the tree's sum
 * keeps it. Parent pids rather than process groups: every Postgres backend calls setsid().
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** utime+stime+cutime+cstime: its own CPU and that of the children it reaped, in clock ticks. */
  readonly ticks: number;
}

/** Counters by name (CPU ms of a process tree, transactions, bytes, records), or their rates. */
export type Counters<K extends string = string> = Readonly<Record<K, number>>;

/**
 * One /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself hold
 * spaces and parentheses, so the fields are counted from the last ")" (see proc(5)).
 */
export function parseStat(text: string): ProcStat {
  const open = text.indexOf(" (");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  const rest = text.slice(close + 2).split(" "); // rest[0] is field 3, the state
  const field = (n: number) => Number(rest[n - 3]);
  const stat = { pid: Number(text.slice(0, open)), ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
  if (!Object.values(stat).every(Number.isInteger)) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  return stat;
}

/** Every process on the machine; one that exits while the list is read is left out. */
export function readProcs(proc = "/proc"): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(join(proc, name, "stat"), "utf8");
    } catch {
      continue; // gone since the directory was listed
    }
    out.push(parseStat(text));
  }
  return out;
}

/**
 * CPU ms of each named process tree; a root not among `procs` counts 0. `exclude`: pids
 * left out with their descendants (the benchmark's own Postgres backends).
 */
export function treeCpuMs(
  procs: readonly ProcStat[],
  roots: Readonly<Record<string, number>>,
  clkTck: number,
  exclude: ReadonlySet<number> = new Set(),
): Counters {
  const children = new Map<number, ProcStat[]>();
  for (const p of procs) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p);
    else children.set(p.ppid, [p]);
  }
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(roots)) {
    const tree = procs.filter((p) => p.pid === pid && !exclude.has(p.pid));
    for (const p of tree) tree.push(...(children.get(p.pid) ?? []).filter((c) => !exclude.has(c.pid)));
    out[name] = (tree.reduce((n, p) => n + p.ticks, 0) * 1000) / clkTck;
  }
  return out;
}

/** How much each counter of `before` grew by, per second of `seconds`. */
export function ratePerSecond<K extends string>(before: Counters<K>, after: Counters<K>, seconds: number): Counters<K> {
  return mapCounters(before, (k, v) => ((after[k] ?? v) - v) / seconds);
}

/**
 * How much each counter grew by per finished payment, less what it grows by idle over the
 * same time (`idle`, per second, measured without load). Idle noise can leave a process
 * slightly below zero; it is kept, so the column still sums to the total.
 */
export function perPayment<K extends string>(before: Counters<K>, after: Counters<K>, idle: Counters<K>, seconds: number, finished: number): Counters<K> {
  return mapCounters(before, (k, v) => ((after[k] ?? v) - v - (idle[k] ?? 0) * seconds) / finished);
}

const mapCounters = <K extends string>(c: Counters<K>, fn: (k: K, v: number) => number): Counters<K> =>
  Object.fromEntries(Object.entries<number>(c).map(([k, v]) => [k, fn(k as K, v)])) as Counters<K>;

/** `digits` decimals, with no "-0.00" for noise around zero; "–" when there is no figure. */
export function fixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return "–";
  return (Math.abs(x) < 0.5 * 10 ** -digits ? 0 : x).toFixed(digits);
}

const sum = (c: Counters) => Object.values(c).reduce((n, x) => n + x, 0);

/**
 * Markdown: one row per process (in `idle`'s order) with its idle CPU ms per second, then its
 * CPU ms per finished payment at each step; the total last.
 */
export function cpuTable(idle: Counters, steps: readonly { readonly label: string; readonly cpuMs: Counters }[]): string {
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    row(["process", "idle ms/s", ...steps.map((s) => s.label)]),
    `|${"---|".repeat(steps.length + 2)}`,
    ...Object.keys(idle).map((name) => row([name, fixed(idle[name] ?? NaN, 1), ...steps.map((s) => fixed(s.cpuMs[name] ?? NaN, 2))])),
    row(["**total**", fixed(sum(idle), 1), ...steps.map((s) => fixed(sum(s.cpuMs), 2))]),
  ].join("\n");
}
