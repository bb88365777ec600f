import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { Registry } from "prom-client";
import { ConfigError } from "../../shared/env.ts";
import { createBreakers, createCircuitStateGauge, healthOf, loadBreakerConfig, type CircuitState } from "./breaker.ts";
import type { ConnectorName } from "./types.ts";

/** A fake clock and a breaker set on it, with every transition written down. */
function rig(opts: { failures?: number; coolOffMs?: number; windowMs?: number } = {}) {
  let t = 1_000;
  const changes: string[] = [];
  const b = createBreakers({
    failures: 3,
    coolOffMs: 10_000,
    windowMs: 5_000,
    ...opts,
    now: () => t,
    onChange: (c, to, from) => changes.push(`${c}:${from}->${to}`),
  });
  return { b, changes, tick: (ms: number) => (t += ms), time: () => t };
}

const outages = (b: ReturnType<typeof rig>["b"], c: ConnectorName, n: number) => {
  for (let i = 0; i < n; i++) b.record(c, "outage");
};

describe("circuit breaker", () => {
  test("opens after N outages in a row, routes around for the cool-off, then lets one probe through", () => {
    const { b, changes, tick } = rig();
    outages(b, "stripe", 2);
    expect(b.state("stripe")).toBe("closed");
    expect(b.allow("stripe")).toBe(true);
    b.record("stripe", "outage");
    expect(b.state("stripe")).toBe("open");
    expect(b.allow("stripe")).toBe(false);
    expect(b.allow("adyen")).toBe(true);

    tick(9_999);
    expect(b.allow("stripe")).toBe(false);
    tick(1);
    expect(b.state("stripe")).toBe("half_open");
    expect(b.allow("stripe")).toBe(true);
    // Exactly one probe at a time.
    expect(b.allow("stripe")).toBe(false);
    expect(b.allow("stripe")).toBe(false);
    b.record("stripe", "ok");
    expect(b.state("stripe")).toBe("closed");
    expect(b.allow("stripe")).toBe(true);
    expect(changes).toEqual(["stripe:closed->open", "stripe:open->half_open", "stripe:half_open->closed"]);
  });

  test("a failed probe reopens it for a fresh cool-off", () => {
    const { b, changes, tick } = rig();
    outages(b, "adyen", 3);
    tick(10_000);
    expect(b.allow("adyen")).toBe(true);
    tick(2_000);
    b.record("adyen", "outage");
    expect(b.state("adyen")).toBe("open");
    tick(9_999);
    expect(b.allow("adyen")).toBe(false);
    tick(1);
    expect(b.allow("adyen")).toBe(true);
    expect(changes).toEqual(["adyen:closed->open", "adyen:open->half_open", "adyen:half_open->open", "adyen:open->half_open"]);
  });

  test("an ok between outages breaks the run; so does the window", () => {
    const { b } = rig();
    outages(b, "stripe", 2);
    b.record("stripe", "ok");
    outages(b, "stripe", 2);
    expect(b.state("stripe")).toBe("closed");

    const w = rig();
    for (let i = 0; i < 10; i++) {
      w.b.record("stripe", "outage");
      w.tick(2_600); // three in a row never fall within 5 s
    }
    expect(w.b.state("stripe")).toBe("closed");
    w.b.record("stripe", "outage");
    w.tick(2_000);
    w.b.record("stripe", "outage");
    expect(w.b.state("stripe")).toBe("open");
  });

  test("connectors are independent", () => {
    const { b } = rig();
    outages(b, "stripe", 3);
    outages(b, "adyen", 2);
    expect([b.state("stripe"), b.state("adyen")]).toEqual(["open", "closed"]);
  });

  test("results that arrive while open change nothing", () => {
    const { b, tick } = rig();
    outages(b, "stripe", 3);
    tick(5_000);
    b.record("stripe", "ok");
    outages(b, "stripe", 10);
    expect(b.state("stripe")).toBe("open");
    // The cool-off runs from the opening, not from the late results.
    tick(5_000);
    expect(b.state("stripe")).toBe("half_open");
  });

  test("a probe whose result never comes is given up after a cool-off", () => {
    const { b, tick } = rig();
    outages(b, "stripe", 3);
    tick(10_000);
    expect(b.allow("stripe")).toBe(true);
    tick(9_999);
    expect(b.allow("stripe")).toBe(false);
    tick(1);
    expect(b.allow("stripe")).toBe(true);
    expect(b.allow("stripe")).toBe(false);
  });

  test("property: one probe at a time (another only once the first is given up), and allow() is false exactly while open", () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant("allow" as const) }),
      fc.record({ op: fc.constant("record" as const), outcome: fc.constantFrom("ok" as const, "outage" as const) }),
      fc.record({ op: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 15_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const { b, tick, time } = rig();
        let probeAt: number | null = null;
        for (const s of steps) {
          if (s.op === "tick") {
            tick(s.ms);
            continue;
          }
          const before: CircuitState = b.state("stripe");
          if (before !== "half_open") probeAt = null;
          if (s.op === "allow") {
            const ok = b.allow("stripe");
            if (before === "closed") expect(ok).toBe(true);
            if (before === "open") expect(ok).toBe(false);
            if (before === "half_open") {
              expect(ok).toBe(probeAt === null || time() - probeAt >= 10_000);
              if (ok) probeAt = time();
            }
          } else {
            b.record("stripe", s.outcome);
            if (before === "half_open") {
              expect(b.state("stripe")).toBe(s.outcome === "ok" ? "closed" : "open");
              probeAt = null;
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

test("outage-class results are not_processed and ambiguous; declines and the rest are the connector working", () => {
  expect(healthOf(undefined)).toBe("ok");
  expect(healthOf({ class: "not_processed" })).toBe("outage");
  expect(healthOf({ class: "ambiguous" })).toBe("outage");
  for (const c of ["declined", "retry", "unexpected_state", "refused", "not_found", "fatal"] as const) expect(healthOf({ class: c })).toBe("ok");
});

test("configuration: defaults, bounds, and a refusal naming the variable", () => {
  expect(loadBreakerConfig({})).toEqual({ failures: 5, coolOffMs: 30_000, windowMs: 60_000 });
  expect(loadBreakerConfig({ BREAKER_FAILURES: "3", BREAKER_COOL_OFF_MS: "1000", BREAKER_WINDOW_MS: "" })).toEqual({
    failures: 3,
    coolOffMs: 1000,
    windowMs: 60_000,
  });
  expect(() => loadBreakerConfig({ BREAKER_FAILURES: "0" })).toThrow(ConfigError);
  expect(() => loadBreakerConfig({ BREAKER_COOL_OFF_MS: "30s" })).toThrow(/BREAKER_COOL_OFF_MS/);
});

test("the gauge shows every connector's state at each scrape, a cool-off's end included", async () => {
  const { b, tick } = rig();
  const registry = new Registry();
  createCircuitStateGauge(registry, b);
  const read = async () => {
    const text = await registry.metrics();
    return Object.fromEntries([...text.matchAll(/^connector_circuit_state\{connector="(\w+)"\} (\d)$/gm)].map((m) => [m[1], Number(m[2])]));
  };
  expect(await read()).toEqual({ stripe: 0, adyen: 0 });
  outages(b, "adyen", 3);
  expect(await read()).toEqual({ stripe: 0, adyen: 2 });
  tick(10_000);
  expect(await read()).toEqual({ stripe: 0, adyen: 1 });
  b.allow("adyen");
  b.record("adyen", "ok");
  expect(await read()).toEqual({ stripe: 0, adyen: 0 });
});
