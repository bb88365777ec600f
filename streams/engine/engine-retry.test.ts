import { describe, expect, test } from "bun:test";
import { Headers } from "../../shared/topics.ts";
import { FatalError, PoisonError, RetryableError } from "./errors.ts";
import { deferred, startHarness, textPipeline } from "./testing/harness.ts";

const SRC = "payments.created";
const R1 = `${SRC}.retry.1s`;
const DLQ = `${SRC}.dlq`;

describe("engine: retry tiers", () => {
  test("a retryable failure goes to tier 1; the source offset finishes only after the broker acked it", async () => {
    let fail = true;
    const h = await startHarness({
      source: SRC,
      pipeline: textPipeline(async () => {
        if (fail) throw new RetryableError("gateway 503");
      }),
    });
    h.producer.holdAcks = true;
    h.broker.produce(SRC, { key: "pay_1", value: "a", headers: { [Headers.correlationId]: "c-1" } });
    await h.clock.advance(1000);
    expect(h.producer.pendingAcks).toBe(1);
    expect(h.consumer.committed(SRC)).toBeUndefined(); // not acked: a crash now must redeliver it
    h.producer.ackAll();
    await h.clock.advance(200);
    expect(h.consumer.committed(SRC)).toBe("1");
    const [rec] = h.broker.records(R1);
    expect(rec?.key).toBe("pay_1");
    expect(rec?.headers).toMatchObject({
      [Headers.correlationId]: "c-1",
      [Headers.originalTopic]: SRC,
      [Headers.originalPartition]: "0",
      [Headers.originalOffset]: "0",
      [Headers.attempt]: "1",
      [Headers.errorClass]: "RetryableError",
      [Headers.errorMessage]: "gateway 503",
    });
    fail = false;
  });

  test("a retry is delivered no earlier than its due time, while healthy traffic does not wait", async () => {
    const calls: { v: string; at: number; attempt: number }[] = [];
    const clock = new (await import("./testing/virtual-clock.ts")).VirtualClock();
    const h = await startHarness({
      source: SRC,
      clock,
      partitions: 2,
      pipeline: textPipeline(async (v, ctx) => {
        calls.push({ v, at: clock.now(), attempt: ctx.attempt });
        if (v === "flaky" && ctx.attempt === 1) throw new Error("ECONNRESET");
      }),
    });
    h.broker.produce(SRC, { key: "k1", value: "flaky", partition: 0 });
    await h.clock.advance(5);
    const failedAt = calls[0]!.at;
    const [rec] = h.broker.records(R1);
    const dueAt = Number(rec!.headers[Headers.dueAt]);
    expect(dueAt).toBe(failedAt + 1000);
    // The retry record is already fetched; its partition must be paused, not spinning.
    expect(h.consumer.isPaused(R1, rec!.partition)).toBe(true);
    // Healthy traffic keeps flowing meanwhile, on the main topic's both partitions.
    h.broker.produce(SRC, { key: "k2", value: "ok-1", partition: 0 });
    h.broker.produce(SRC, { key: "k3", value: "ok-2", partition: 1 });
    await h.clock.advance(10);
    expect(calls.map((c) => c.v)).toEqual(["flaky", "ok-1", "ok-2"]);
    expect(calls[2]!.at).toBeLessThan(failedAt + 20);
    await h.clock.advance(dueAt - h.clock.now() - 1);
    expect(calls).toHaveLength(3); // one ms before due: still held
    await h.clock.advance(1);
    expect(calls[3]).toEqual({ v: "flaky", at: dueAt, attempt: 2 });
    expect(h.consumer.isPaused(R1, rec!.partition)).toBe(false);
    await h.clock.advance(200);
    expect(h.consumer.committed(R1, rec!.partition)).toBe("1");
  });

  test("exhausting every tier lands the record in the DLQ with its history", async () => {
    let attempts = 0;
    const h = await startHarness({
      source: SRC,
      pipeline: textPipeline(async () => {
        attempts++;
        throw new RetryableError(`timeout #${attempts}`);
      }),
    });
    h.broker.produce(SRC, { key: "pay_9", value: "x", headers: { [Headers.correlationId]: "c-9" } });
    await h.clock.advance(80_000);
    expect(attempts).toBe(4);
    expect(h.broker.records(`${SRC}.retry.1s`)).toHaveLength(1);
    expect(h.broker.records(`${SRC}.retry.10s`)).toHaveLength(1);
    expect(h.broker.records(`${SRC}.retry.60s`)).toHaveLength(1);
    const dlq = h.broker.records(DLQ);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value?.toString()).toBe("x");
    expect(dlq[0]!.headers).toMatchObject({
      [Headers.correlationId]: "c-9",
      [Headers.originalTopic]: SRC,
      [Headers.originalOffset]: "0",
      [Headers.attempt]: "4",
      [Headers.errorMessage]: "timeout #4",
      [Headers.deadLetterReason]: "exhausted",
    });
    // Each retry delivery came after its tier's delay: 1s + 10s + 60s in total at least.
    const first = Number(dlq[0]!.headers[Headers.firstFailureAt]);
    expect(Number(dlq[0]!.headers[Headers.deadLetteredAt]) - first).toBeGreaterThanOrEqual(71_000);
    for (const t of [SRC, `${SRC}.retry.1s`, `${SRC}.retry.10s`, `${SRC}.retry.60s`]) expect(h.consumer.committed(t)).toBe("1");
  });
});

describe("engine: DLQ routing", () => {
  test("fatal errors go to the DLQ at once and the records behind keep flowing", async () => {
    const handled: string[] = [];
    const h = await startHarness({
      source: SRC,
      pipeline: textPipeline(
        async (v) => {
          if (v === "declined-rule") throw new Error("merchant blocked");
          handled.push(v);
        },
        (err) => ((err as Error).message === "merchant blocked" ? "fatal" : undefined),
      ),
    });
    h.broker.produce(SRC, { key: "same", value: "declined-rule" });
    h.broker.produce(SRC, { key: "same", value: "next" });
    h.broker.produce(SRC, { key: "typed", value: "typed" });
    await h.clock.advance(300);
    // "next" shares the failed record's key, so it waits for the DLQ ack; "typed" does not wait.
    expect(handled).toEqual(["typed", "next"]);
    expect(h.broker.records(`${SRC}.retry.1s`)).toHaveLength(0);
    const [rec] = h.broker.records(DLQ);
    expect(rec?.headers).toMatchObject({ [Headers.deadLetterReason]: "fatal", [Headers.attempt]: "1", [Headers.errorMessage]: "merchant blocked" });
    expect(h.consumer.committed(SRC)).toBe("3");
  });

  test("a FatalError is fatal without a classify hook", async () => {
    const h = await startHarness({
      source: SRC,
      pipeline: textPipeline(async () => {
        throw new FatalError("amount mismatch");
      }),
    });
    h.broker.produce(SRC, { key: "k", value: "v" });
    await h.clock.advance(10);
    expect(h.broker.records(DLQ)[0]?.headers[Headers.errorClass]).toBe("FatalError");
  });

  test("a poison pill (decode fails) goes to the DLQ without reaching the handler", async () => {
    const handled: unknown[] = [];
    const h = await startHarness<{ n: number }>({
      source: SRC,
      pipeline: {
        decode: (m) => {
          try {
            return JSON.parse(m.value!.toString()) as { n: number };
          } catch {
            throw new PoisonError("not JSON");
          }
        },
        handle: async (e) => void handled.push(e),
      },
    });
    h.broker.produce(SRC, { key: "a", value: Buffer.from([0xff, 0xfe]) });
    h.broker.produce(SRC, { key: "b", value: '{"n":2}' });
    await h.clock.advance(300);
    expect(handled).toEqual([{ n: 2 }]);
    const [rec] = h.broker.records(DLQ);
    expect(rec?.value).toEqual(Buffer.from([0xff, 0xfe]));
    expect(rec?.headers).toMatchObject({ [Headers.deadLetterReason]: "poison", [Headers.errorClass]: "PoisonError" });
    expect(h.consumer.committed(SRC)).toBe("2");
  });

  test("a failed produce stops the engine without committing past the record", async () => {
    const gate = deferred();
    const h = await startHarness({
      source: SRC,
      pipeline: textPipeline(async (v) => {
        if (v === "bad") throw new RetryableError("boom");
        await gate.promise;
      }),
    });
    h.broker.produce(SRC, { key: "a", value: "ok" });
    await h.clock.advance(300);
    h.producer.failNext(new Error("delivery timed out"));
    gate.resolve();
    h.broker.produce(SRC, { key: "b", value: "bad" });
    h.broker.produce(SRC, { key: "c", value: "ok" });
    await h.clock.advance(300);
    await expect(h.engine.done).rejects.toThrow("delivery timed out");
    expect(h.consumer.committed(SRC)).toBe("1");
    expect(h.consumer.disconnected).toBe(true);
  });
});
