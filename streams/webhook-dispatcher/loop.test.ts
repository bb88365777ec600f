/**
 * The delivery loop against an in-memory store: it never runs more attempts than its
 * concurrency, claims again as attempts end (not only at the poll), records every result,
 * and on stop waits for the attempts in flight.
 */
import { expect, test } from "bun:test";
import { Registry } from "prom-client";
import { createLogger } from "../../shared/logger.ts";
import { startDeliveryLoop } from "./loop.ts";
import { createDispatcherMetrics } from "./metrics.ts";
import type { AttemptResult, Claimed, Settled } from "./store.ts";

const claimed = (i: number): Claimed => ({
  deliveryId: String(i),
  attemptId: String(i),
  attempt: 1,
  eventId: `evt_${i}`,
  paymentId: `pay_${i}`,
  endpointId: "we_1",
  url: "http://127.0.0.1:9/",
  body: "{}",
  secrets: ["whsec_x"],
  eventCreatedAt: new Date(),
});

async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

test("at most `concurrency` attempts at once, the next claimed as one ends, every one settled", async () => {
  let backlog = 50;
  let next = 0;
  let running = 0;
  let peak = 0;
  const settled: string[] = [];
  const releases: (() => void)[] = [];
  const loop = startDeliveryLoop({
    store: {
      claim: async (n: number) => {
        const take = Math.min(n, backlog);
        backlog -= take;
        return Array.from({ length: take }, () => claimed(next++));
      },
      settle: async (c: Claimed, r: AttemptResult): Promise<Settled> => {
        settled.push(`${c.deliveryId}:${r.outcome}`);
        return { kind: "delivered", latencyMs: 1 };
      },
    },
    send: () =>
      new Promise<AttemptResult>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        releases.push(() => {
          running--;
          resolve({ outcome: "delivered", statusCode: 200, durationMs: 1 });
        });
      }),
    concurrency: 4,
    pollMs: 60_000, // the poll never fires in this test: claims follow attempts ending
    metrics: createDispatcherMetrics(new Registry()),
    log: createLogger("test", "silent"),
  });
  await until("four attempts in flight", () => running === 4);
  // End attempts one at a time: each end lets the loop claim the next one at once.
  while (settled.length < 50) {
    await until("an attempt in flight, or all recorded", () => releases.length > 0 || settled.length === 50);
    releases.shift()?.();
  }
  await loop.stop(5_000);
  expect(peak).toBe(4);
  expect(new Set(settled).size).toBe(50);
  expect(settled.every((s) => s.endsWith(":delivered"))).toBe(true);
});

test("a throwing send is recorded as a failed attempt, not lost", async () => {
  const results: AttemptResult[] = [];
  let given = false;
  const loop = startDeliveryLoop({
    store: {
      claim: async () => (given ? [] : ((given = true), [claimed(1)])),
      settle: async (_c, r) => {
        results.push(r);
        return { kind: "retry", at: new Date() };
      },
    },
    send: async () => {
      throw new Error("boom");
    },
    concurrency: 2,
    pollMs: 10,
    metrics: createDispatcherMetrics(new Registry()),
    log: createLogger("test", "silent"),
  });
  await until("the result", () => results.length === 1);
  await loop.stop(1_000);
  expect(results[0]).toMatchObject({ outcome: "failed", error: "dispatcher error: boom" });
});
