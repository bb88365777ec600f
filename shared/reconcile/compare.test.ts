/**
 * The matching rules (compare.ts): each kind of mismatch, each decided edge case, and what
 * agrees. Payments and gateway records are built as the platform and the readers would hold
 * them; the day is 2024-05-03 (UTC).
 */
import { describe, expect, test } from "bun:test";
import { compare, type CompareInput } from "./compare.ts";
import { windowsOf } from "./days.ts";
import type { GatewayRecord, PlatformPayment } from "./model.ts";
import { gatewayRecord as record } from "./testing.ts";

const DAY = windowsOf(new Date("2024-05-03T00:00:00Z")).platform;
const NOON = new Date("2024-05-03T12:00:00Z");

const payment = (over: Partial<PlatformPayment> = {}): PlatformPayment => ({
  id: "pay_1",
  connector: "stripe",
  status: "APPROVED",
  amount: 2000,
  currency: "USD",
  captured: 2000,
  refunded: 0,
  pendingRefunds: 0,
  gatewayRef: "pi_1",
  createdAt: NOON,
  ...over,
});

const declined = (over: Partial<GatewayRecord> = {}) => record({ authorized: 0, captured: 0, status: "declined", detail: "requires_payment_method", ...over });

function run(payments: PlatformPayment[], stripe: GatewayRecord[], over: Partial<CompareInput> = {}) {
  return compare({ day: DAY, connectors: ["stripe"], payments, named: [], records: { stripe }, ...over });
}

const kinds = (ms: ReturnType<typeof run>) => ms.map((m) => [m.kind, m.connector, m.payment_id]);

describe("what agrees", () => {
  test("an approved payment and its captured intent; a held one and its authorization; a partial capture", () => {
    expect(run([payment()], [record()])).toEqual([]);
    expect(run([payment({ status: "AUTHORIZED", captured: 0 })], [record({ captured: 0, status: "authorized" })])).toEqual([]);
    expect(run([payment({ captured: 1200 })], [record({ captured: 1200 })])).toEqual([]);
  });

  test("refunds that succeeded on both sides", () => {
    const refunds = [{ ref: "re_1", refundId: "re_ours", amount: 500, status: "succeeded" as const }];
    expect(run([payment({ refunded: 500 })], [record({ refunded: 500, refunds })])).toEqual([]);
  });

  test("a canceled payment and its canceled intent", () => {
    expect(run([payment({ status: "CANCELED", captured: 0 })], [record({ authorized: 0, captured: 0, status: "canceled" })])).toEqual([]);
  });
});

describe("missing_at_gateway", () => {
  test.each([
    ["APPROVED", { status: "APPROVED" as const }],
    ["AUTHORIZED", { status: "AUTHORIZED" as const, captured: 0 }],
    ["CANCELED (it was authorized first)", { status: "CANCELED" as const, captured: 0 }],
  ])("%s with no record at its connector", (_, over) => {
    const [m, ...rest] = run([payment(over)], []);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      kind: "missing_at_gateway",
      connector: "stripe",
      payment_id: "pay_1",
      gateway_ref: "pi_1",
      gateway: null,
      platform: { status: over.status, amount: 2000 },
    });
    expect(m!.reason).toContain("stripe holds no record of pay_1");
  });

  test("a record of the payment at another connector does not count: it is missing at its own, and the other one is missing_locally", () => {
    const ms = compare({
      day: DAY,
      connectors: ["stripe", "adyen"],
      payments: [payment()],
      named: [],
      records: { stripe: [], adyen: [record({ connector: "adyen", ref: "PSP1" })] },
    });
    expect(kinds(ms)).toEqual([
      ["missing_locally", "adyen", "pay_1"],
      ["missing_at_gateway", "stripe", "pay_1"],
    ]);
  });

  test("a DENIED or PENDING payment with no record is not missing: no money moved", () => {
    expect(run([payment({ status: "DENIED", captured: 0 }), payment({ id: "pay_2", status: "PENDING", captured: 0, gatewayRef: null })], [])).toEqual([]);
  });
});

describe("missing_locally", () => {
  test("a record of the day for a payment id unknown here", () => {
    const [m] = run([], [record({ paymentId: "pay_ghost", ref: "pi_ghost" })]);
    expect(m).toMatchObject({
      kind: "missing_locally",
      payment_id: "pay_ghost",
      gateway_ref: "pi_ghost",
      platform: null,
      gateway: { status: "captured", amount: 2000, captured: 2000 },
    });
    expect(m!.reason).toContain("unknown here");
  });

  test("a record with no payment id at all is reported on its own", () => {
    const ms = run([], [record({ paymentId: null, ref: "pi_a" }), record({ paymentId: null, ref: "pi_b" })]);
    expect(ms.map((m) => [m.kind, m.payment_id, m.gateway_ref])).toEqual([
      ["missing_locally", null, "pi_a"],
      ["missing_locally", null, "pi_b"],
    ]);
  });

  test("a record whose payment is at another connector here, or was never sent to one", () => {
    const atAdyen = payment({ id: "pay_a", connector: "adyen" });
    const neverSent = payment({ id: "pay_n", connector: null, status: "PENDING", captured: 0, gatewayRef: null });
    const ms = run([atAdyen, neverSent], [record({ paymentId: "pay_a", ref: "pi_a" }), record({ paymentId: "pay_n", ref: "pi_n" })]);
    expect(kinds(ms)).toEqual([
      ["missing_locally", "stripe", "pay_a"],
      ["missing_locally", "stripe", "pay_n"],
    ]);
    expect(ms[0]!.reason).toContain("which is at adyen here");
    expect(ms[0]!.platform).toMatchObject({ status: "APPROVED" });
    expect(ms[1]!.reason).toContain("never sent to a connector");
  });

  test("records of one unknown payment id are reported together, summed", () => {
    const ms = run([], [record({ paymentId: "pay_x", ref: "pi_a" }), record({ paymentId: "pay_x", ref: "pi_b", createdAt: new Date("2024-05-03T13:00:00Z") })]);
    expect(ms).toHaveLength(1);
    expect(ms[0]).toMatchObject({ gateway_ref: "pi_a+pi_b", gateway: { captured: 4000, status: "captured+captured" } });
  });

  test("a record that never held money (a declined attempt before a failover, a voided intent) is not missing anywhere", () => {
    expect(run([], [declined({ paymentId: "pay_ghost" }), record({ paymentId: "pay_v", authorized: 0, captured: 0, status: "canceled" })])).toEqual([]);
  });

  test("an unknown refund that moved money counts: a record with nothing held but a refund", () => {
    const refunds = [{ ref: "re_1", refundId: null, amount: 500, status: "pending" as const }];
    expect(kinds(run([], [record({ paymentId: "pay_r", authorized: 0, captured: 0, status: "other", refunds })]))).toEqual([
      ["missing_locally", "stripe", "pay_r"],
    ]);
  });

  test("only records created on the day: one of the day before or after is that day's business", () => {
    const before = record({ paymentId: "pay_b", createdAt: new Date("2024-05-02T23:59:59Z") });
    const after = record({ paymentId: "pay_a", createdAt: new Date("2024-05-04T00:00:00Z") });
    expect(run([], [before, after])).toEqual([]);
  });

  test("a record of the day whose payment is of another day at the same connector is no mismatch", () => {
    const yesterdays = payment({ id: "pay_old", createdAt: new Date("2024-05-02T23:00:00Z") });
    expect(run([], [record({ paymentId: "pay_old" })], { named: [yesterdays] })).toEqual([]);
  });
});

describe("amount_mismatch", () => {
  test("captured differs", () => {
    const [m] = run([payment({ captured: 2000 })], [record({ captured: 1500 })]);
    expect(m).toMatchObject({ kind: "amount_mismatch", gateway_ref: "pi_1", platform: { captured: 2000 }, gateway: { captured: 1500 } });
    expect(m!.reason).toBe("captured 2000 here, 1500 at stripe");
  });

  test("authorized differs: held here, released at the gateway (an expiry the platform did not learn of)", () => {
    const [m] = run([payment({ status: "AUTHORIZED", captured: 0 })], [record({ authorized: 0, captured: 0, status: "canceled", detail: "canceled" })]);
    expect(m!.reason).toBe("authorized 2000 here (AUTHORIZED), 0 at stripe");
  });

  test("authorized differs: voided here, still held at the gateway", () => {
    const [m] = run([payment({ status: "CANCELED", captured: 0 })], [record({ captured: 0, status: "authorized" })]);
    expect(m!.reason).toBe("authorized 0 here (CANCELED), 2000 at stripe");
  });

  test("DENIED here, but the gateway charged", () => {
    expect(run([payment({ status: "DENIED", captured: 0 })], [record()])[0]!.reason).toBe(
      "authorized 0 here (DENIED), 2000 at stripe; captured 0 here, 2000 at stripe",
    );
  });

  test("a DENIED payment and its declined record agree", () => {
    expect(run([payment({ status: "DENIED", captured: 0 })], [declined()])).toEqual([]);
  });

  test("APPROVED here, but the gateway only declined: it knows the payment, so it is an amount_mismatch, not missing", () => {
    expect(kinds(run([payment()], [declined()]))).toEqual([["amount_mismatch", "stripe", "pay_1"]]);
  });

  test("PENDING here while the gateway charged: the platform has not learned what happened", () => {
    expect(kinds(run([payment({ status: "PENDING", captured: 0 })], [record()]))).toEqual([["amount_mismatch", "stripe", "pay_1"]]);
  });

  test("PENDING here and still processing there agree", () => {
    expect(run([payment({ status: "PENDING", captured: 0 })], [record({ authorized: 0, captured: 0, status: "pending" })])).toEqual([]);
  });

  test("several intents for one payment are summed: a retry after a decline agrees, two charges do not", () => {
    const retry = [declined({ ref: "pi_0", createdAt: new Date("2024-05-03T11:00:00Z") }), record()];
    expect(run([payment()], retry)).toEqual([]);
    const twice = run([payment()], [record({ ref: "pi_0", createdAt: new Date("2024-05-03T11:00:00Z") }), record()]);
    expect(twice[0]).toMatchObject({ kind: "amount_mismatch", gateway_ref: "pi_0+pi_1", gateway: { amount: 4000, captured: 4000 } });
  });

  test("records anywhere in the gateway window count, also days after the payment (a gateway clock ahead)", () => {
    expect(run([payment()], [record({ createdAt: new Date("2024-05-05T01:00:00Z") })])).toEqual([]);
  });

  test("the currency differs", () => {
    expect(run([payment()], [record({ currency: "EUR" })])[0]!.reason).toBe("currency USD here, EUR at stripe");
  });
});

describe("refunds still pending on either side", () => {
  const refund = (amount: number, status: "pending" | "succeeded" | "failed") => ({ ref: `re_${status}_${amount}`, refundId: null, amount, status });

  test("pending here, already succeeded at the gateway: not a mismatch", () => {
    expect(run([payment({ pendingRefunds: 500 })], [record({ refunded: 500, refunds: [refund(500, "succeeded")] })])).toEqual([]);
  });

  test("succeeded here, still pending at the gateway: not a mismatch", () => {
    expect(run([payment({ refunded: 500 })], [record({ refunds: [refund(500, "pending")] })])).toEqual([]);
  });

  test("a pending refund does not hide a larger difference", () => {
    const [m] = run([payment({ pendingRefunds: 100 })], [record({ refunded: 1500, refunds: [refund(1500, "succeeded")] })]);
    expect(m!.reason).toBe("refunded 0 here (100 pending), 1500 at stripe (0 pending)");
  });

  test("succeeded here, failed later at the gateway: a mismatch", () => {
    expect(kinds(run([payment({ refunded: 2000 })], [record({ refunds: [refund(2000, "failed")] })]))).toEqual([["amount_mismatch", "stripe", "pay_1"]]);
  });
});

describe("which connectors", () => {
  test("a payment at a connector not compared is not checked; the output is ordered by connector, kind, payment id", () => {
    expect(run([payment({ connector: "adyen" })], [])).toEqual([]);
    const ms = compare({
      day: DAY,
      connectors: ["stripe", "adyen"],
      named: [],
      payments: [payment({ id: "pay_2" }), payment({ id: "pay_1" }), payment({ id: "pay_3", connector: "adyen", gatewayRef: "PSP3" })],
      records: { stripe: [record({ paymentId: "pay_2", captured: 1 }), record({ paymentId: "pay_9", ref: "pi_9" })], adyen: [] },
    });
    expect(kinds(ms)).toEqual([
      ["missing_at_gateway", "adyen", "pay_3"],
      ["missing_at_gateway", "stripe", "pay_1"],
      ["amount_mismatch", "stripe", "pay_2"],
      ["missing_locally", "stripe", "pay_9"],
    ]);
  });
});
