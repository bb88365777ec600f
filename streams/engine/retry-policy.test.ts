import { describe, expect, test } from "bun:test";
import { Headers } from "../../shared/topics.ts";
import { FatalError, PoisonError, RetryableError } from "./errors.ts";
import type { InboundMessage } from "./ports.ts";
import { defaultRetryPolicy, exponentialTiers, failureRecord, routeFailure, type FailureRoute } from "./retry-policy.ts";

const msg = (over: Partial<InboundMessage> = {}): InboundMessage => ({
  topic: "payments.created",
  partition: 3,
  offset: "42",
  key: "pay_1",
  value: Buffer.from("{}"),
  headers: { [Headers.correlationId]: "corr-1" },
  timestamp: 0,
  ...over,
});

/** The record a failed delivery produces, re-read as the next delivery from that topic. */
const redeliver = (m: InboundMessage, route: FailureRoute, now: number): InboundMessage => {
  const rec = failureRecord(m, route, new RetryableError("gateway 503"), now);
  return msg({ topic: rec.topic, partition: 0, offset: "0", headers: rec.headers });
};

describe("retry routing", () => {
  test("walks the tiers 1s → 10s → 60s, then the DLQ, with due times never early", () => {
    let m = msg();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const now = 1_000_000 + i;
      const route = routeFailure(defaultRetryPolicy, m, "retry", now, () => 0.5);
      seen.push(route.topic);
      if (route.kind === "retry") {
        expect(route.dueAt).toBeGreaterThanOrEqual(now + route.tier.delayMs);
        expect(route.dueAt).toBeLessThanOrEqual(now + route.tier.delayMs * (1 + defaultRetryPolicy.jitter));
        expect(route.attempt).toBe(i + 1);
      } else expect(route.reason).toBe("exhausted");
      m = redeliver(m, route, now);
    }
    expect(seen).toEqual(["payments.created.retry.1s", "payments.created.retry.10s", "payments.created.retry.60s", "payments.created.dlq"]);
  });

  test("jitter spreads the delay upward only", () => {
    const at = (r: number) => (routeFailure(defaultRetryPolicy, msg(), "retry", 0, () => r) as { dueAt: number }).dueAt;
    expect(at(0)).toBe(1000);
    expect(at(0.999)).toBeLessThanOrEqual(1100);
    expect(at(0.999)).toBeGreaterThan(at(0.1));
  });

  test("fatal errors and poison pills go to the DLQ at once", () => {
    expect(routeFailure(defaultRetryPolicy, msg(), "fatal", 0, Math.random)).toMatchObject({
      kind: "dlq",
      topic: "payments.created.dlq",
      reason: "fatal",
      attempt: 1,
    });
    expect(routeFailure(defaultRetryPolicy, msg(), "poison", 0, Math.random)).toMatchObject({ kind: "dlq", reason: "poison" });
  });

  test("more attempts on the last tier when configured", () => {
    const policy = { ...defaultRetryPolicy, tiers: exponentialTiers(500, 2, 2), attemptsOnLastTier: 3 };
    expect(policy.tiers.map((t) => t.name)).toEqual(["500ms", "1s"]);
    const topics = [1, 2, 3, 4, 5].map((n) => routeFailure(policy, msg({ headers: { [Headers.attempt]: String(n - 1) } }), "retry", 0, () => 0).topic);
    expect(topics).toEqual([
      "payments.created.retry.500ms",
      "payments.created.retry.1s",
      "payments.created.retry.1s",
      "payments.created.retry.1s",
      "payments.created.dlq",
    ]);
  });
});

describe("failure records", () => {
  test("carry the original coordinates, attempt, times, error and every original header", () => {
    const first = msg();
    const r1 = routeFailure(defaultRetryPolicy, first, "retry", 5000, () => 0);
    const rec1 = failureRecord(first, r1, new RetryableError("gateway 503"), 5000);
    expect(rec1).toMatchObject({ topic: "payments.created.retry.1s", key: "pay_1", value: first.value });
    expect(rec1.headers).toEqual({
      [Headers.correlationId]: "corr-1",
      [Headers.originalTopic]: "payments.created",
      [Headers.originalPartition]: "3",
      [Headers.originalOffset]: "42",
      [Headers.attempt]: "1",
      [Headers.firstFailureAt]: "5000",
      [Headers.dueAt]: "6000",
      [Headers.errorClass]: "RetryableError",
      [Headers.errorMessage]: "gateway 503",
    });
    // Second failure, read from the retry topic: the origin and first failure time stay.
    const second = msg({ topic: rec1.topic, partition: 0, offset: "9", headers: rec1.headers });
    const r2 = routeFailure(defaultRetryPolicy, second, "fatal", 7000, () => 0);
    const rec2 = failureRecord(second, r2, new FatalError("card blocked\n  at stack"), 7000);
    expect(rec2.topic).toBe("payments.created.dlq");
    expect(rec2.headers).toMatchObject({
      [Headers.correlationId]: "corr-1",
      [Headers.originalTopic]: "payments.created",
      [Headers.originalPartition]: "3",
      [Headers.originalOffset]: "42",
      [Headers.attempt]: "2",
      [Headers.firstFailureAt]: "5000",
      [Headers.errorClass]: "FatalError",
      [Headers.errorMessage]: "card blocked at stack",
      [Headers.deadLetterReason]: "fatal",
      [Headers.deadLetteredAt]: "7000",
    });
  });

  test("poison records keep their bytes untouched", () => {
    const bad = msg({ value: Buffer.from([0xff, 0x00, 0x13]) });
    const route = routeFailure(defaultRetryPolicy, bad, "poison", 0, () => 0);
    const rec = failureRecord(bad, route, new PoisonError("value is not JSON"), 0);
    expect(rec.value).toEqual(Buffer.from([0xff, 0x00, 0x13]));
    expect(rec.headers[Headers.errorClass]).toBe("PoisonError");
  });
});
