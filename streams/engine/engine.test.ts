import { describe, expect, test } from "bun:test";
import { deferred, type Deferred, sleep, startHarness, textPipeline } from "./testing/harness.ts";

const SRC = "payments.created";

describe("engine: ordering, concurrency, commits", () => {
  test("commits only the contiguous finished prefix, batched on the commit interval", async () => {
    const gates = new Map<string, Deferred>();
    const h = await startHarness({
      source: SRC,
      pipeline: textPipeline(async (v) => {
        const g = deferred();
        gates.set(v, g);
        await g.promise;
      }),
      options: { concurrency: 10, commitIntervalMs: 200 },
    });
    ["m0", "m1", "m2", "m3", "m4"].forEach((v, i) => h.broker.produce(SRC, { key: `k${i}`, value: v }));
    await h.clock.advance(10);
    expect(gates.size).toBe(5); // all five run at once: distinct keys
    gates.get("m2")!.resolve();
    gates.get("m1")!.resolve();
    await h.clock.advance(200);
    expect(h.consumer.committed(SRC)).toBeUndefined(); // m0 unfinished
    gates.get("m0")!.resolve();
    await h.clock.advance(179); // t=389: next tick is at 400
    expect(h.consumer.committed(SRC)).toBeUndefined();
    await h.clock.advance(11);
    expect(h.consumer.committed(SRC)).toBe("3");
    gates.get("m4")!.resolve();
    await h.clock.advance(200);
    expect(h.consumer.committed(SRC)).toBe("3");
    gates.get("m3")!.resolve();
    await h.clock.advance(200);
    expect(h.consumer.committed(SRC)).toBe("5");
    expect(h.consumer.commits.length).toBe(2); // one commit per tick that moved, not one per record
  });

  test("key order and the concurrency bound hold across partitions; everything is committed", async () => {
    const concurrency = 3;
    let running = 0;
    let maxRunning = 0;
    const runningKeys = new Set<string>();
    const order = new Map<string, number[]>();
    const clockRef: { c?: import("./testing/virtual-clock.ts").VirtualClock } = {};
    const h = await startHarness({
      source: SRC,
      partitions: 4,
      options: { concurrency },
      pipeline: textPipeline(async (v, ctx) => {
        const key = ctx.message.key!;
        expect(runningKeys.has(key)).toBe(false);
        runningKeys.add(key);
        maxRunning = Math.max(maxRunning, ++running);
        const seq = Number(v);
        await sleep(clockRef.c!, 1 + ((seq * 31) % 7));
        order.set(key, [...(order.get(key) ?? []), seq]);
        runningKeys.delete(key);
        running--;
      }),
    });
    clockRef.c = h.clock;
    for (let i = 0; i < 120; i++) h.broker.produce(SRC, { key: `key-${i % 9}`, value: String(i) });
    await h.clock.advance(2000);
    expect(maxRunning).toBe(concurrency);
    expect([...order.values()].flat()).toHaveLength(120);
    for (const seqs of order.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (let p = 0; p < 4; p++) {
      const log = h.broker.topic(SRC)[p]!;
      expect(h.consumer.committed(SRC, p)).toBe(log.length === 0 ? undefined : String(log.length));
    }
    expect(h.engine.stats().activeKeys).toBe(0); // idle keys hold no state
  });
});

describe("engine: backpressure", () => {
  test("pauses a partition above the high-water mark and resumes it at the low-water mark", async () => {
    const gates: Deferred[] = [];
    const handled: string[] = [];
    const h = await startHarness({
      source: SRC,
      partitions: 2,
      options: { concurrency: 2, highWater: 4, lowWater: 2 },
      pipeline: textPipeline(async (v) => {
        const g = deferred();
        gates.push(g);
        await g.promise;
        handled.push(v);
      }),
    });
    for (let i = 0; i < 10; i++) h.broker.produce(SRC, { key: `k${i}`, value: `a${i}`, partition: 0 });
    h.broker.produce(SRC, { key: "other", value: "b0", partition: 1 });
    await h.clock.advance(1);
    expect(h.consumer.isPaused(SRC, 0)).toBe(true);
    expect(h.consumer.isPaused(SRC, 1)).toBe(false);
    const open0 = () => h.engine.stats().partitions.find((p) => p.topic === SRC && p.partition === 0)!.open;
    expect(open0()).toBe(4); // buffered + in flight stopped at the limit, not at 10
    let maxOpen = 0;
    while (handled.length < 11) {
      gates.shift()?.resolve();
      await h.clock.advance(1);
      maxOpen = Math.max(maxOpen, open0());
    }
    expect(maxOpen).toBeLessThanOrEqual(4);
    const calls = h.consumer.calls.filter((c) => c.endsWith(`${SRC}[0]`));
    expect(calls[0]).toBe(`pause ${SRC}[0]`);
    expect(calls).toContain(`resume ${SRC}[0]`);
    await h.clock.advance(200);
    expect(h.consumer.committed(SRC, 0)).toBe("10");
  });
});
