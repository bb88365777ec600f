import { describe, expect, test } from "bun:test";
import type { PaymentResult } from "../../shared/events.ts";
import { mailLabel, messageIdFor, planMail } from "./mail-plan.ts";

const PAY = "pay_0190a1b2c3d4e5f60718293a4b5c6d7e";
const RE = "re_0190a1b2c3d4e5f60718293a4b5c6d7f";
const result = (over: Partial<PaymentResult> = {}): PaymentResult => ({
  v: 1,
  paymentId: PAY,
  merchantId: "mer_acme",
  status: "APPROVED",
  gatewayRef: "pi_123",
  decidedAt: "2026-11-29T07:34:56.000Z",
  ...over,
});
const plan = (over: Partial<PaymentResult>) => planMail(result(over), "payments.local");

describe("which mail a PaymentResult asks for", () => {
  test.each([
    ["an approval written before kinds existed", { status: "APPROVED" }, "approved", "APPROVED", `<${PAY}-approved@payments.local>`],
    ["a decided approval", { status: "APPROVED", kind: "decided" }, "approved", "APPROVED", `<${PAY}-approved@payments.local>`],
    ["a decline written before kinds existed", { status: "DENIED", declineCode: "card_declined" }, "denied", "DENIED", `<${PAY}-denied@payments.local>`],
    ["a decided decline", { status: "DENIED", kind: "decided" }, "denied", "DENIED", `<${PAY}-denied@payments.local>`],
    ["a capture (part of the hold)", { status: "APPROVED", kind: "captured", amount: 300 }, "captured", "CAPTURED", `<${PAY}-captured@payments.local>`],
    [
      "a succeeded refund",
      { status: "APPROVED", kind: "refund_succeeded", amount: 100, refundId: RE },
      "refund",
      `REFUND:${RE}`,
      `<${PAY}-refund-${RE}@payments.local>`,
    ],
  ] as const)("%s → %s mail, key %s", (_, over, mail, status, messageId) => {
    expect(plan(over)).toEqual({ action: "send", mail, key: { paymentId: PAY, status }, messageId, ...(mail === "refund" ? { refundId: RE } : {}) });
  });

  test.each([
    ["a held (authorized) payment", { status: "AUTHORIZED", kind: "decided" }, "held"],
    ["a held payment on a record without a kind", { status: "AUTHORIZED" }, "held"],
    ["a canceled authorization", { status: "CANCELED", kind: "canceled" }, "canceled"],
    ["a failed refund", { status: "APPROVED", kind: "refund_failed", amount: 100, refundId: RE }, "refund_failed"],
  ] as const)("%s → no mail (%s)", (_, over, reason) => {
    expect(plan(over)).toEqual({ action: "none", reason });
  });

  test.each([
    ["a decision that leaves the payment CANCELED", { status: "CANCELED" }],
    ["a capture that leaves the payment DENIED", { status: "DENIED", kind: "captured", amount: 300 }],
    ["a succeeded refund without its id", { status: "APPROVED", kind: "refund_succeeded", amount: 100 }],
  ] as const)("%s is invalid (poison), never guessed at", (_, over) => {
    expect(plan(over).action).toBe("invalid");
  });

  test("the key and Message-ID depend on the record's identity only, never on amounts or times", () => {
    const a = plan({ kind: "refund_succeeded", amount: 100, refundId: RE, decidedAt: "2026-12-01T00:00:00Z", gatewayRef: "re_gw_1" });
    const b = plan({ kind: "refund_succeeded", amount: 999, refundId: RE, decidedAt: "2027-01-01T00:00:00Z", gatewayRef: "re_gw_2" });
    expect(a).toEqual(b);
  });

  test("each refund has its own key and Message-ID; none collides with the payment's other mails", () => {
    const other = "re_0190a1b2c3d4e5f60718293a4b5c6d80";
    const plans = [
      plan({ status: "APPROVED" }),
      plan({ status: "DENIED" }),
      plan({ kind: "captured", amount: 1 }),
      plan({ kind: "refund_succeeded", amount: 1, refundId: RE }),
      plan({ kind: "refund_succeeded", amount: 1, refundId: other }),
    ].map((p) => (p.action === "send" ? [p.key.status, p.messageId] : []));
    expect(new Set(plans.map(([k]) => k)).size).toBe(5);
    expect(new Set(plans.map(([, id]) => id)).size).toBe(5);
  });

  test("every key fits the notifications.status CHECK of migration 0014", () => {
    const check = (s: string) => ["APPROVED", "DENIED", "CAPTURED"].includes(s) || /^REFUND:re_[0-9a-f]{32}$/.test(s);
    for (const over of [
      { status: "APPROVED" },
      { status: "DENIED" },
      { kind: "captured", amount: 1 },
      { kind: "refund_succeeded", amount: 1, refundId: RE },
    ] as const) {
      const p = plan(over);
      expect(p.action === "send" && check(p.key.status)).toBe(true);
    }
  });

  test("metric labels are bounded: a refund's label does not name the refund", () => {
    expect(["approved", "denied", "captured", "refund"].map((m) => mailLabel(m as never))).toEqual(["APPROVED", "DENIED", "CAPTURED", "REFUND"]);
  });

  test("Message-ID is derived from payment id and what the mail is about", () => {
    expect(messageIdFor("pay_abc", "denied", "payments.local")).toBe("<pay_abc-denied@payments.local>");
  });
});
