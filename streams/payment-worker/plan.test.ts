import { describe, expect, test } from "bun:test";
import { firstCall, idempotencyKeyOf, KEY_TRUST_MS, keyStillReplays, shouldMintKey, type Attempt } from "./plan.ts";
import type { PaymentRow } from "./payment-row.ts";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const row = (over: Partial<PaymentRow> = {}): PaymentRow => ({
  id: "pay_0191e1a0c0de7000800000000000aaaa",
  merchant_id: "mer_a",
  status: "PENDING",
  amount: 4200,
  currency: "EUR",
  payment_method: "pm_card_visa",
  capture_method: "automatic",
  connector: "stripe",
  gateway_intent_id: null,
  gateway_key_seq: 0,
  last_error: null,
  created_at: new Date(NOW - 1_000),
  ...over,
});
const first: Attempt = { attempt: 1, replay: false, firstFailureAt: null };

describe("which gateway call comes first", () => {
  test("a first delivery of a fresh payment creates at once, keyed by the payment id, charging the row's amount", () => {
    const call = firstCall(row(), first, NOW);
    expect(call).toMatchObject({ op: "create", idempotencyKey: row().id, charge: { amount: 4200, currency: "EUR", paymentMethod: "pm_card_visa" } });
  });

  test("a known intent is retrieved, whatever else is true", () => {
    expect(firstCall(row({ gateway_intent_id: "pi_1" }), { attempt: 5, replay: true, firstFailureAt: NOW - 1 }, NOW)).toMatchObject({
      op: "retrieve",
      ref: "pi_1",
    });
  });

  test.each([
    ["a retry", row(), { ...first, attempt: 2 }],
    ["an operator's replay", row(), { ...first, replay: true }],
    ["a recorded failure", row({ last_error: "attempt 1: gateway error 500" }), first],
    ["a minted key", row({ gateway_key_seq: 1 }), first],
    ["a payment whose key the gateway may have forgotten", row({ created_at: new Date(NOW - KEY_TRUST_MS - 1) }), first],
  ] as const)("%s looks the payment up before any create", (_, r, a) => {
    expect(firstCall(r, a, NOW)).toMatchObject({ op: "search", paymentId: r.id, idempotencyKey: idempotencyKeyOf(r), charge: { amount: 4200 } });
  });

  test("a connector that keeps keys longer (Adyen: 31 days) trusts a week-old payment's key", () => {
    const weekOld = row({ created_at: new Date(NOW - 7 * 24 * 3600_000) });
    expect(firstCall(weekOld, first, NOW, { keyWindowMs: 31 * 24 * 3600_000 }).op).toBe("create");
    expect(firstCall(weekOld, first, NOW, { keyWindowMs: 24 * 3600_000 }).op).toBe("search");
  });

  test("a payment younger than the key window may create after a failed look-up; an older one may not", () => {
    expect(keyStillReplays(row(), NOW)).toBe(true);
    expect(keyStillReplays(row({ created_at: new Date(NOW - KEY_TRUST_MS) }), NOW)).toBe(true);
    expect(keyStillReplays(row({ created_at: new Date(NOW - KEY_TRUST_MS - 1) }), NOW)).toBe(false);
  });

  test("keys after the first are the payment id with a sequence", () => {
    expect(idempotencyKeyOf(row())).toBe(row().id);
    expect(idempotencyKeyOf(row({ gateway_key_seq: 2 }))).toBe(`${row().id}:k2`);
  });
});

describe("when a new idempotency key is minted", () => {
  const base = { replayedError: true, searchedEmpty: true, firstFailureAt: NOW - 130_000, now: NOW, searchLagMs: 120_000 };
  test("a replayed stored error, with the gateway holding no intent, once the search is old enough to trust", () => {
    expect(shouldMintKey(base)).toBe(true);
  });
  test.each([
    ["the error was not a replay", { replayedError: false }],
    ["nobody searched first", { searchedEmpty: false }],
    ["the search may still trail the first attempt", { firstFailureAt: NOW - 60_000 }],
    ["the first failure is unknown", { firstFailureAt: null }],
  ] as const)("never when %s", (_, over) => {
    expect(shouldMintKey({ ...base, ...over })).toBe(false);
  });
});
