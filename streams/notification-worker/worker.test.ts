/**
 * The handler with small fakes for its store and SMTP (the real ones are exercised by
 * test/notifications/): which records send, which record nothing, and send-once per key.
 */
import { describe, expect, test } from "bun:test";
import type { SendMailOptions } from "nodemailer";
import { Registry } from "prom-client";
import type { PaymentResult } from "../../shared/events.ts";
import { createLogger } from "../../shared/logger.ts";
import { FatalError, PoisonError, type HandlerContext, type WorkerSpec } from "../engine/index.ts";
import { createNotificationMetrics } from "./metrics.ts";
import { loadTemplates } from "./render.ts";
import type { Claim, NotificationKey, NotificationStore, PaymentForMail, RefundForMail } from "./store.ts";
import { notificationWorker } from "./worker.ts";

const PAY = "pay_0190a1b2c3d4e5f60718293a4b5c6d7e";
const RE1 = "re_0190a1b2c3d4e5f60718293a4b5c6d71";
const RE2 = "re_0190a1b2c3d4e5f60718293a4b5c6d72";
const RE_FAILED = "re_0190a1b2c3d4e5f60718293a4b5c6d73";

const payment: PaymentForMail = {
  id: PAY,
  merchant_id: "mer_acme",
  merchant_name: "Acme",
  status: "APPROVED",
  amount: 5000,
  amount_captured: 3000,
  currency: "USD",
  customer_email: "jane@example.com",
  customer_name: "Jane",
};
const refunds: Record<string, RefundForMail> = {
  [RE1]: { id: RE1, payment_id: PAY, status: "succeeded", amount: 1000, currency: "USD", refunded_through: 1000 },
  [RE2]: { id: RE2, payment_id: PAY, status: "succeeded", amount: 2000, currency: "USD", refunded_through: 3000 },
  [RE_FAILED]: { id: RE_FAILED, payment_id: PAY, status: "failed", amount: 500, currency: "USD", refunded_through: 0 },
};

/** The notifications table's semantics (store.ts), in memory; every call is recorded. */
function fakeStore() {
  const rows = new Map<string, { messageId: string; state: "claimed" | "sent" | "failed"; attempts: number }>();
  const calls: string[] = [];
  const id = (k: NotificationKey) => `${k.paymentId}|${k.status}`;
  let failNextMark = false;
  const store: NotificationStore = {
    async loadPayment(paymentId) {
      calls.push("loadPayment");
      return paymentId === PAY ? payment : undefined;
    },
    async loadRefund(refundId) {
      calls.push("loadRefund");
      return refunds[refundId];
    },
    async claim(k, messageId, reclaimFailed): Promise<Claim | null> {
      calls.push(`claim ${k.status}`);
      const row = rows.get(id(k));
      if (row === undefined) {
        rows.set(id(k), { messageId, state: "claimed", attempts: 1 });
        return { attempts: 1, messageId };
      }
      if (row.state === "claimed" || (reclaimFailed && row.state === "failed")) {
        row.attempts += 1;
        row.state = "claimed";
        return { attempts: row.attempts, messageId: row.messageId };
      }
      return null;
    },
    async markSent(k) {
      if (failNextMark) {
        failNextMark = false;
        throw new Error("the process died between SMTP and the mark");
      }
      rows.get(id(k))!.state = "sent";
    },
    async recordError() {},
    async markFailed(k) {
      rows.get(id(k))!.state = "failed";
    },
  };
  return { store, rows, calls, crashAfterNextSend: () => (failNextMark = true) };
}

function setup() {
  const f = fakeStore();
  const sent: SendMailOptions[] = [];
  const registry = new Registry();
  const spec = notificationWorker({
    store: f.store,
    send: async (m) => void sent.push(m),
    templates: loadTemplates(),
    metrics: createNotificationMetrics(registry),
    log: createLogger("test", "silent"),
    from: "Payments <no-reply@payments.local>",
    messageIdDomain: "payments.local",
  }) as WorkerSpec<PaymentResult>;
  const ctx = {
    message: { topic: "t", partition: 0, offset: "0", key: PAY, value: null, headers: {}, timestamp: 0 },
    attempt: 1,
    defer: () => {},
  } as HandlerContext;
  const handle = (over: Partial<PaymentResult>) =>
    spec.handle({ v: 1, paymentId: PAY, merchantId: "mer_acme", status: "APPROVED", gatewayRef: "pi_1", decidedAt: "2026-11-29T07:34:56.000Z", ...over }, ctx);
  const skipped = async () =>
    (await registry.getSingleMetric("notifications_skipped_total")!.get()).values.map((v) => [v.labels.reason, v.labels.status, v.value]);
  return { ...f, sent, handle, skipped };
}

describe("notification handler", () => {
  test("held, canceled and failed-refund records send nothing and record nothing", async () => {
    const s = setup();
    await s.handle({ status: "AUTHORIZED", kind: "decided" });
    await s.handle({ status: "CANCELED", kind: "canceled" });
    await s.handle({ status: "APPROVED", kind: "refund_failed", amount: 500, refundId: RE_FAILED });
    expect(s.sent).toEqual([]);
    expect(s.calls).toEqual([]);
    expect(await s.skipped()).toEqual([
      ["held", "AUTHORIZED", 1],
      ["canceled", "CANCELED", 1],
      ["refund_failed", "APPROVED", 1],
    ]);
  });

  test("a capture and two refunds: one mail each, with its own Message-ID; redeliveries send nothing", async () => {
    const s = setup();
    const records: Partial<PaymentResult>[] = [
      { status: "AUTHORIZED", kind: "decided" },
      { kind: "captured", amount: 3000 },
      { kind: "refund_succeeded", amount: 1000, refundId: RE1 },
      { kind: "refund_succeeded", amount: 2000, refundId: RE2 },
    ];
    for (const r of [...records, ...records]) await s.handle(r);
    expect(s.sent.map((m) => [m.messageId, m.subject])).toEqual([
      [`<${PAY}-captured@payments.local>`, "Payment captured: $30.00 to Acme"],
      [`<${PAY}-refund-${RE1}@payments.local>`, "Refund: $10.00 from Acme"],
      [`<${PAY}-refund-${RE2}@payments.local>`, "Refund: $20.00 from Acme"],
    ]);
    expect(String(s.sent[2]!.text)).toContain("has now been refunded in full");
    expect([...s.rows.keys()]).toEqual([`${PAY}|CAPTURED`, `${PAY}|REFUND:${RE1}`, `${PAY}|REFUND:${RE2}`]);
    expect([...s.rows.values()].every((r) => r.state === "sent" && r.attempts === 1)).toBe(true);
    expect((await s.skipped()).filter(([reason]) => reason === "already_sent").map(([, status, n]) => [status, n])).toEqual([
      ["CAPTURED", 1],
      ["REFUND", 2],
    ]);
  });

  test("a crash between SMTP and the mark resends the same mail with the same Message-ID, once", async () => {
    const s = setup();
    s.crashAfterNextSend();
    await expect(s.handle({ kind: "refund_succeeded", amount: 1000, refundId: RE1 })).rejects.toThrow("died");
    await s.handle({ kind: "refund_succeeded", amount: 1000, refundId: RE1 });
    await s.handle({ kind: "refund_succeeded", amount: 1000, refundId: RE1 });
    expect(s.sent.map((m) => m.messageId)).toEqual([`<${PAY}-refund-${RE1}@payments.local>`, `<${PAY}-refund-${RE1}@payments.local>`]);
    expect(s.sent[0]!.text).toBe(s.sent[1]!.text);
    expect(s.rows.get(`${PAY}|REFUND:${RE1}`)).toMatchObject({ state: "sent", attempts: 2 });
  });

  test("approved and denied keep today's keys and Message-IDs", async () => {
    const s = setup();
    await s.handle({ status: "APPROVED" });
    await s.handle({ status: "DENIED", kind: "decided", declineCode: "card_declined" });
    expect(s.sent.map((m) => m.messageId)).toEqual([`<${PAY}-approved@payments.local>`, `<${PAY}-denied@payments.local>`]);
    expect([...s.rows.keys()]).toEqual([`${PAY}|APPROVED`, `${PAY}|DENIED`]);
  });

  test("a contradictory record is poison; a refund the database does not confirm is fatal; neither sends", async () => {
    const s = setup();
    await expect(s.handle({ status: "CANCELED", kind: "decided" })).rejects.toBeInstanceOf(PoisonError);
    await expect(s.handle({ kind: "refund_succeeded", amount: 1 })).rejects.toBeInstanceOf(PoisonError);
    await expect(s.handle({ kind: "refund_succeeded", amount: 1, refundId: "re_0190a1b2c3d4e5f60718293a4b5c6dff" })).rejects.toBeInstanceOf(FatalError);
    await expect(s.handle({ kind: "refund_succeeded", amount: 500, refundId: RE_FAILED })).rejects.toBeInstanceOf(FatalError);
    expect(s.sent).toEqual([]);
    expect(s.rows.size).toBe(0);
  });
});
