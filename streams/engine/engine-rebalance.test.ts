import { describe, expect, test } from "bun:test";
import { RetryableError } from "./errors.ts";
import { BatchingSink } from "./batching.ts";
import { deferred, type Deferred, startHarness, textPipeline } from "./testing/harness.ts";
import { VirtualClock } from "./testing/virtual-clock.ts";

const SRC = "payments.created";
const P0 = { topic: SRC, partition: 0 };

/** A handler each call of which the test finishes by hand, by value. */
function manualHandler() {
  const gates = new Map<string, Deferred>();
  const started: string[] = [];
  const handle = async (v: string) => {
    started.push(v);
    const g = deferred();
    gates.set(v, g);
    await g.promise;
  };
  return { handle, started, gates };
}

describe("engine: rebalance", () => {
  test("revoke waits for in-flight work, commits it, then lets the partition go", async () => {
    const m = manualHandler();
    const h = await startHarness({ source: SRC, partitions: 2, pipeline: textPipeline(m.handle), options: { revokeTimeoutMs: 5000 } });
    h.broker.produce(SRC, { key: "a", value: "a0", partition: 0 });
    await h.clock.advance(1);
    let released = false;
    const revoked = h.consumer.revoke([P0]).then(() => (released = true));
    await h.clock.advance(1000);
    expect(released).toBe(false); // still waiting for a0
    m.gates.get("a0")!.resolve();
    await h.clock.advance(0);
    await revoked;
    expect(h.consumer.committed(SRC, 0)).toBe("1"); // committed before the partition was released
  });

  test("after the bounded wait, late results are dropped and queued records are never started", async () => {
    const m = manualHandler();
    let failLate = false;
    const h = await startHarness({
      source: SRC,
      partitions: 2,
      options: { revokeTimeoutMs: 1000 },
      pipeline: textPipeline(async (v) => {
        await m.handle(v);
        if (failLate) throw new RetryableError("late failure");
      }),
    });
    h.broker.produce(SRC, { key: "a", value: "a0", partition: 0 });
    h.broker.produce(SRC, { key: "a", value: "a1", partition: 0 }); // queued behind a0 (same key)
    h.broker.produce(SRC, { key: "b", value: "b0", partition: 1 });
    await h.clock.advance(1);
    m.gates.get("b0")!.resolve();
    let released = false;
    const revoked = h.consumer.revoke([P0]).then(() => (released = true));
    await h.clock.advance(999);
    expect(released).toBe(false);
    await h.clock.advance(1);
    await revoked; // gave up waiting after revokeTimeoutMs
    expect(h.consumer.committed(SRC, 0)).toBeUndefined(); // a0 never finished: nothing to commit
    failLate = true;
    m.gates.get("a0")!.resolve(); // the late result of a partition we no longer own
    await h.clock.advance(500);
    expect(m.started).not.toContain("a1");
    expect(h.broker.records(`${SRC}.retry.1s`)).toHaveLength(0); // the new owner redelivers; no duplicate retry
    expect(h.consumer.committed(SRC, 0)).toBeUndefined();
    expect(h.consumer.committed(SRC, 1)).toBe("1"); // the partition we kept is unaffected
    // Reassigned: redelivery starts from the committed position, so nothing is lost.
    failLate = false;
    h.consumer.assign([P0]);
    await h.clock.advance(1);
    m.gates.get("a0")!.resolve();
    await h.clock.advance(1);
    m.gates.get("a1")!.resolve();
    await h.clock.advance(200);
    expect(m.started.filter((v) => v.startsWith("a"))).toEqual(["a0", "a0", "a1"]);
    expect(h.consumer.committed(SRC, 0)).toBe("2");
  });

  test("lost partitions are dropped without a commit", async () => {
    const m = manualHandler();
    const h = await startHarness({ source: SRC, pipeline: textPipeline(m.handle) });
    h.broker.produce(SRC, { key: "a", value: "a0" });
    await h.clock.advance(1);
    h.consumer.lose([P0]);
    m.gates.get("a0")!.resolve();
    await h.clock.advance(400);
    expect(h.consumer.commits).toEqual([]);
  });
});

describe("engine: deferred work and shutdown", () => {
  test("an offset is committed only after the batch holding its records is written", async () => {
    const clock = new VirtualClock();
    const write = deferred();
    const written: string[][] = [];
    const sink = new BatchingSink<string>({
      name: "audit",
      maxItems: 500,
      maxWaitMs: 50,
      scheduler: clock.scheduler,
      write: async (docs) => {
        written.push(docs);
        await write.promise;
      },
    });
    const h = await startHarness({ source: SRC, clock, pipeline: textPipeline(async (v, ctx) => ctx.defer(sink.add(`audit:${v}`))) });
    h.broker.produce(SRC, { key: "a", value: "a0" });
    h.broker.produce(SRC, { key: "b", value: "b0" });
    await clock.advance(400);
    expect(written).toEqual([["audit:a0", "audit:b0"]]);
    expect(h.consumer.committed(SRC)).toBeUndefined(); // handled, but the audit write is not durable yet
    write.resolve();
    await clock.advance(200);
    expect(h.consumer.committed(SRC)).toBe("2");
  });

  test("a failed batch write sends its records to retry", async () => {
    const clock = new VirtualClock();
    const sink = new BatchingSink<string>({
      name: "audit",
      maxItems: 10,
      maxWaitMs: 50,
      scheduler: clock.scheduler,
      write: async () => Promise.reject(new Error("mongo down")),
    });
    const h = await startHarness({ source: SRC, clock, pipeline: textPipeline(async (v, ctx) => ctx.defer(sink.add(v))) });
    h.broker.produce(SRC, { key: "a", value: "a0" });
    await clock.advance(300);
    expect(h.broker.records(`${SRC}.retry.1s`).map((r) => r.headers["x-error-message"])).toEqual(["mongo down"]);
    expect(h.consumer.committed(SRC)).toBe("1");
  });

  test("stop drains in-flight work, flushes sinks, commits what finished, and disconnects", async () => {
    const clock = new VirtualClock();
    const m = manualHandler();
    const written: string[] = [];
    const sink = new BatchingSink<string>({
      name: "audit",
      maxItems: 500,
      maxWaitMs: 60_000,
      scheduler: clock.scheduler,
      write: async (d) => void written.push(...d),
    });
    const h = await startHarness({
      source: SRC,
      clock,
      flushables: [sink],
      options: { concurrency: 1 },
      pipeline: textPipeline(async (v, ctx) => {
        await m.handle(v);
        ctx.defer(sink.add(v));
      }),
    });
    ["a0", "b0", "c0"].forEach((v) => h.broker.produce(SRC, { key: v, value: v }));
    await clock.advance(1);
    expect(m.started).toEqual(["a0"]); // b0, c0 queued behind the concurrency bound
    let stopped = false;
    const stopping = h.engine.stop().then(() => (stopped = true));
    await clock.advance(10);
    expect(stopped).toBe(false); // draining a0
    expect(h.consumer.isPaused(SRC, 0)).toBe(true); // no more fetching
    m.gates.get("a0")!.resolve();
    await clock.advance(1);
    await stopping;
    expect(written).toEqual(["a0"]); // flushed without waiting for the 60 s batch timer
    expect(m.started).toEqual(["a0"]); // queued records are left for redelivery
    expect(h.consumer.committed(SRC)).toBe("1");
    expect(h.consumer.disconnected).toBe(true);
    expect(h.producer.disconnected).toBe(true);
    await expect(h.engine.done).resolves.toBeUndefined();
  });
});
