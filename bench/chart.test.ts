import { describe, expect, test } from "bun:test";
import { latencyChart, logTicks } from "./chart.ts";

const points = [
  { offeredPerSec: 100, p50: 97, p95: 328, p99: 403 },
  { offeredPerSec: 200, p50: 142, p95: 327, p99: 520 },
  { offeredPerSec: 400, p50: 1214, p95: 1555, p99: 1643 },
];

describe("latency chart", () => {
  test("one line per percentile and series, a marker per measured rate, the target drawn", () => {
    const svg = latencyChart(
      "create→final",
      [
        { label: "fresh", points },
        { label: "1M rows", points, dashed: true },
      ],
      { ms: 1000, label: "p99 < 1 s" },
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<polyline /g)?.length).toBe(6);
    expect(svg.match(/<circle /g)?.length).toBe(18);
    expect(svg).toContain("p99 fresh");
    expect(svg).toContain("p50 1M rows");
    expect(svg).toContain("p99 &lt; 1 s");
    expect(svg).not.toContain("NaN");
  });

  test("slower is drawn higher: the 400/s p99 sits above the 100/s p50", () => {
    const svg = latencyChart("t", [{ label: "run", points }]);
    const circles = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
    const p50At100 = circles[0]!;
    const p99At400 = circles.at(-1)!;
    expect(p99At400.x).toBeGreaterThan(p50At100.x);
    expect(p99At400.y).toBeLessThan(p50At100.y);
  });

  test("a step without a decided payment is left out instead of drawing NaN", () => {
    const svg = latencyChart("t", [{ label: "run", points: [...points, { offeredPerSec: 800, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN }] }]);
    expect(svg).not.toContain("NaN");
    expect(svg.match(/<circle /g)?.length).toBe(9);
  });

  test("log ticks run 1-2-5 per decade within the range", () => {
    expect(logTicks(10, 10_000)).toEqual([10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000]);
    expect(logTicks(100, 1000)).toEqual([100, 200, 500, 1000]);
  });
});
