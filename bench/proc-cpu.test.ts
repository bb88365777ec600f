import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTable, fixed, parseStat, perPayment, ratePerSecond, readProcs, treeCpuMs, type ProcStat } from "./proc-cpu.ts";

/** A /proc/<pid>/stat line as Linux writes it: 52 fields, utime..cstime at 14..17. */
const statLine = (pid: number, comm: string, ppid: number, [utime, stime, cutime, cstime]: number[]) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 1200 0 3 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 4 0 5000 123456789 2000 ${"0 ".repeat(28).trim()}\n`;

const proc = (pid: number, ppid: number, ticks: number): ProcStat => ({ pid, ppid, ticks });

describe("parseStat", () => {
  test("reads pid, parent and own plus reaped children's ticks", () => {
    expect(parseStat(statLine(12631, "postgres", 1, [150, 40, 900, 300]))).toEqual({ pid: 12631, ppid: 1, ticks: 1390 });
  });

  test("counts fields from the last parenthesis: a command name may hold spaces and parentheses", () => {
    expect(parseStat(statLine(42, "a) S 7 (b", 9, [1, 2, 3, 4]))).toEqual({ pid: 42, ppid: 9, ticks: 10 });
    expect(parseStat(statLine(43, "Web Content :)", 9, [5, 0, 0, 0]))).toEqual({ pid: 43, ppid: 9, ticks: 5 });
  });

  test("refuses what is not a stat line rather than counting garbage", () => {
    expect(() => parseStat("")).toThrow();
    expect(() => parseStat("42 (cut short) S 1")).toThrow();
  });
});

test("readProcs reads numbered directories only", () => {
  const dir = mkdtempSync(join(tmpdir(), "proc-cpu-"));
  for (const [name, text] of [
    ["7", statLine(7, "java", 1, [10, 5, 0, 0])],
    ["self", statLine(8, "bun", 1, [1, 1, 0, 0])],
  ] as const) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "stat"), text);
  }
  mkdirSync(join(dir, "9")); // exited between the listing and the read: no stat left
  expect(readProcs(dir)).toEqual([{ pid: 7, ppid: 1, ticks: 15 }]);
});

describe("treeCpuMs", () => {
  // 100: postmaster with two backends, one with a child; 200: a supervisor and its service; 300: not ours.
  const procs = [
    proc(1, 0, 5),
    proc(100, 1, 40),
    proc(101, 100, 10),
    proc(102, 100, 20),
    proc(103, 101, 3),
    proc(200, 1, 7),
    proc(201, 200, 50),
    proc(300, 1, 999),
  ];

  test("sums each root's whole tree, in ms at the given clock rate", () => {
    expect(treeCpuMs(procs, { postgres: 100, "api-1": 200 }, 100)).toEqual({ postgres: 730, "api-1": 570 });
    expect(treeCpuMs(procs, { postgres: 100 }, 250)).toEqual({ postgres: 292 });
  });

  test("leaves out excluded pids with their descendants", () => {
    expect(treeCpuMs(procs, { postgres: 100 }, 100, new Set([101]))).toEqual({ postgres: 600 });
  });

  test("a root that is gone counts 0", () => {
    expect(treeCpuMs(procs, { kafka: 400 }, 100)).toEqual({ kafka: 0 });
  });
});

describe("per-payment deltas", () => {
  const before = { "api-1": 1_000, postgres: 5_000 };
  const after = { "api-1": 3_000, postgres: 9_500 };

  test("rate per second between two samples", () => {
    expect(ratePerSecond({ a: 10, b: 0 }, { a: 40, b: 6 }, 3)).toEqual({ a: 10, b: 2 });
  });

  test("growth per finished payment less the idle rate over the same time", () => {
    // api-1: (2000 - 10 ms/s × 20 s) / 900; postgres: (4500 - 45 × 20) / 900.
    expect(perPayment(before, after, { "api-1": 10, postgres: 45 }, 20, 900)).toEqual({ "api-1": 2, postgres: 4 });
  });

  test("keeps idle noise below zero, so the parts still sum to the whole", () => {
    expect(perPayment({ mailpit: 100 }, { mailpit: 110 }, { mailpit: 1 }, 20, 10)).toEqual({ mailpit: -1 });
  });

  test("no finished payment: no figure", () => {
    expect(fixed(perPayment(before, after, { "api-1": 0, postgres: 0 }, 20, 0).postgres, 2)).toBe("–");
  });
});

test("fixed rounds noise around zero to a plain 0", () => {
  expect(fixed(-0.001, 2)).toBe("0.00");
  expect(fixed(-0.02, 2)).toBe("-0.02");
  expect(fixed(Number.NaN, 1)).toBe("–");
});

test("cpuTable: a row per process in idle's order, a column per step, the total last", () => {
  const idle = { "postgres-primary": 12, "api-1": 3.04 };
  const steps = [
    { label: "100/s", cpuMs: { "postgres-primary": 1.234, "api-1": 0.5 } },
    { label: "200/s", cpuMs: { "postgres-primary": 1.1, "api-1": -0.001 } },
  ];
  expect(cpuTable(idle, steps)).toBe(
    [
      "| process | idle ms/s | 100/s | 200/s |",
      "|---|---|---|---|",
      "| postgres-primary | 12.0 | 1.23 | 1.10 |",
      "| api-1 | 3.0 | 0.50 | 0.00 |",
      "| **total** | 15.0 | 1.73 | 1.10 |",
    ].join("\n"),
  );
});
