import { afterEach, describe, expect, test } from "bun:test";
import { Headers } from "../../shared/topics.ts";
import { PoisonError } from "./errors.ts";
import { FakeBroker } from "./testing/fake-broker.ts";
import { defineWorker, runWorker, type RunningWorker } from "./worker.ts";

const SRC = "payments.results";
let running: RunningWorker | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
};

describe("runWorker", () => {
  test("a worker declares decode, handle and classify; the lifecycle serves metrics and shuts down cleanly", async () => {
    const broker = new FakeBroker({ partitions: 2 });
    const audited: string[][] = [];
    const handled: string[] = [];
    let subscribed: readonly string[] = [];
    const worker = defineWorker(({ sink }) => {
      const audit = sink<string>({ name: "audit", maxItems: 100, maxWaitMs: 20, write: async (docs) => void audited.push(docs) });
      return {
        name: "notification-worker",
        sourceTopic: SRC,
        decode: (m) => {
          const text = m.value?.toString() ?? "";
          if (!text.startsWith("pay_")) throw new PoisonError("not a payment id");
          return text;
        },
        handle: async (id, ctx) => {
          handled.push(id);
          ctx.defer(audit.add(id));
        },
        classify: () => "retry",
      };
    });
    running = await runWorker(worker, {
      metricsPort: 0,
      signals: [],
      engine: { commitIntervalMs: 20 },
      connect: async (sub) => {
        subscribed = sub.topics;
        return { consumer: broker.consumer(sub.topics), producer: broker.producer() };
      },
    });
    expect(subscribed).toEqual([SRC, `${SRC}.retry.1s`, `${SRC}.retry.10s`, `${SRC}.retry.60s`]);
    for (const v of ["pay_1", "pay_2", "garbage"]) broker.produce(SRC, { key: v, value: v });
    expect(await until(() => broker.records(`${SRC}.dlq`).length === 1 && audited.flat().length === 2)).toBe(true);
    expect(broker.records(`${SRC}.dlq`)[0]!.headers[Headers.deadLetterReason]).toBe("poison");

    const res = await fetch(`http://127.0.0.1:${running.metrics.port}/metrics`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('stream_messages_consumed_total{topic="payments.results",service="notification-worker"} 3');
    expect(body).toContain('stream_messages_handled_total{topic="payments.results",service="notification-worker"} 2');
    expect(body).toContain('stream_messages_dead_lettered_total{topic="payments.results",reason="poison",service="notification-worker"} 1');
    expect(body).toMatch(/stream_batch_size_count\{[^}]*sink="audit"[^}]*\} 1/);
    expect(body).toContain("stream_messages_in_flight");
    expect(body).toContain("stream_commit_lag");

    await running.stop();
    await expect(running.done).resolves.toBeUndefined();
    const committed = [0, 1].map((p) => broker.committed.get(`${SRC}\u0000${p}`) ?? "0").reduce((a, b) => a + Number(b), 0);
    expect(committed).toBe(3);
    await expect(fetch(`http://127.0.0.1:${running.metrics.port}/metrics`)).rejects.toThrow();
    expect(handled.sort()).toEqual(["pay_1", "pay_2"]);
  });
});
