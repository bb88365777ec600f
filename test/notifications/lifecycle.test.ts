/**
 * Customer mails for the payment lifecycle, end to end (Kafka → notification worker → Mailpit):
 * a capture and each succeeded refund get their mail once; a hold, a cancel and a failed
 * refund get none; a redelivery of every record sends nothing new.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import { total } from "../setup/metrics.ts";
import { eventually } from "../setup/wait.ts";
import {
  createTopics,
  heldResult,
  kill,
  mailpit,
  openDb,
  produceResults,
  seedMerchant,
  seedPayments,
  seedRefunds,
  settled,
  startService,
  uniqueName,
  type Proc,
} from "./tools.ts";

const mail = mailpit();
const run = uniqueName("life").replace(/\./g, "-");
const topic = `it.notify.${run}`;
let sql: Sql;
let worker: Proc;

beforeAll(async () => {
  sql = await openDb();
  createTopics(topic);
  worker = startService("notification-worker", { SOURCE_TOPIC: topic, GROUP_ID: `${topic}.g` });
});
afterAll(async () => {
  await kill(worker);
  await sql.end({ timeout: 5 });
}, 30_000);

const mailsOfRun = () => mail.search(`to:"${run}-"`);
const countBy = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());
type Row = { payment_id: string; status: string; state: string; attempts: number };
const sorted = (rows: readonly Row[]) => [...rows].sort((a, b) => `${a.payment_id} ${a.status}`.localeCompare(`${b.payment_id} ${b.status}`));

test("capture and refund mails once each with their Message-IDs; no mail for a hold, a cancel or a failed refund; redelivery sends nothing", async () => {
  const merchantId = await seedMerchant(sql, "Lifecycle & <Shop>");
  const [partial, held, canceled, refunded] = await seedPayments(sql, [
    {
      merchantId,
      status: "APPROVED",
      captureMethod: "manual",
      amount: 5000,
      captured: 3000,
      currency: "USD",
      email: `${run}-partial@example.com`,
      name: `<i>Ann</i> & "Co"`,
    },
    { merchantId, status: "AUTHORIZED", amount: 2000, currency: "EUR", email: `${run}-held@example.com` },
    { merchantId, status: "CANCELED", amount: 1500, currency: "EUR", email: `${run}-canceled@example.com` },
    { merchantId, status: "APPROVED", amount: 10_000, currency: "EUR", email: `${run}-refunded@example.com`, name: "Rita" },
  ]);
  expect([partial!.kind, held!.status, canceled!.kind, refunded!.kind]).toEqual(["captured", "AUTHORIZED", "canceled", undefined]);
  const [first, failed, last] = await seedRefunds(sql, refunded!.paymentId, [
    { amount: 2500, outcome: "succeeded" },
    { amount: 1000, outcome: "failed" },
    { amount: 7500, outcome: "succeeded" },
  ]);
  // In the order the lifecycle announces them (each payment's records share its key, so its partition).
  const records = [heldResult(partial!), partial!, held!, heldResult(canceled!), canceled!, refunded!, first!, failed!, last!];
  produceResults(topic, records);

  const expected = new Map([
    [`${partial!.paymentId}-captured@payments.local`, 1],
    [`${refunded!.paymentId}-approved@payments.local`, 1],
    [`${refunded!.paymentId}-refund-${first!.refundId}@payments.local`, 1],
    [`${refunded!.paymentId}-refund-${last!.refundId}@payments.local`, 1],
  ]);
  await eventually("the four mails", async () => ((await mailsOfRun()).length >= 4 ? true : undefined), 60_000);
  // Every record finished and committed, nothing in flight or routed to a retry tier: no mail
  // can still come from them, so what Mailpit holds now is all they send.
  const m = await settled(worker, topic, records.length);
  expect(total(m, "stream_messages_retried_total")).toBe(0);
  expect(total(m, "stream_messages_dead_lettered_total")).toBe(0);
  const got = await mailsOfRun();
  expect(countBy(got.map((g) => g.MessageID))).toEqual(expected);
  expect(total(m, "notifications_sent_total")).toBe(4);
  expect(total(m, "notifications_skipped_total", { reason: "held" })).toBe(3);
  expect(total(m, "notifications_skipped_total", { reason: "canceled" })).toBe(1);
  expect(total(m, "notifications_skipped_total", { reason: "refund_failed" })).toBe(1);

  const byId = (id: string) => mail.get(got.find((g) => g.MessageID === id)!.ID);
  const cap = await byId(`${partial!.paymentId}-captured@payments.local`);
  expect(cap.Subject).toBe("Payment captured: $30.00 to Lifecycle & <Shop>");
  expect(cap.To.map((t) => t.Address)).toEqual([`${run}-partial@example.com`]);
  expect(cap.Text).toContain("$50.00 was held on your card; only $30.00 was taken, and the remaining $20.00 has been released.");
  expect(cap.HTML).toContain("$30.00");
  expect(cap.HTML).toContain("Lifecycle &amp; &lt;Shop&gt;");
  expect(cap.HTML).toContain("&lt;i&gt;Ann&lt;/i&gt; &amp; &quot;Co&quot;");
  expect(cap.HTML).not.toContain("<i>Ann</i>");

  const r1 = await byId(`${refunded!.paymentId}-refund-${first!.refundId}@payments.local`);
  expect(r1.Subject).toBe("Refund: €25.00 from Lifecycle & <Shop>");
  expect(r1.To.map((t) => t.Address)).toEqual([`${run}-refunded@example.com`]);
  expect(r1.Text).toContain("€25.00 of your payment of €100.00 has now been refunded.");
  expect(r1.Text).toContain(first!.refundId!);
  expect(r1.HTML).toContain("€25.00");
  const r3 = await byId(`${refunded!.paymentId}-refund-${last!.refundId}@payments.local`);
  expect(r3.Subject).toBe("Refund: €75.00 from Lifecycle & <Shop>");
  // The failed refund in between took nothing: the two that succeeded are the whole payment.
  expect(r3.Text).toContain("Your payment of €100.00 has now been refunded in full.");

  const rowsNow = async () =>
    sorted(
      await sql<Row[]>`SELECT payment_id, status, state, attempts FROM notifications
                             WHERE payment_id IN ${sql([partial!.paymentId, held!.paymentId, canceled!.paymentId, refunded!.paymentId])}`,
    );
  const wanted = sorted([
    { payment_id: partial!.paymentId, status: "CAPTURED", state: "sent", attempts: 1 },
    { payment_id: refunded!.paymentId, status: "APPROVED", state: "sent", attempts: 1 },
    { payment_id: refunded!.paymentId, status: `REFUND:${first!.refundId}`, state: "sent", attempts: 1 },
    { payment_id: refunded!.paymentId, status: `REFUND:${last!.refundId}`, state: "sent", attempts: 1 },
  ]);
  expect(await rowsNow()).toEqual(wanted);

  // Every record again, as after a relay crash mid-batch.
  produceResults(topic, records);
  const again = await settled(worker, topic, 2 * records.length);
  expect(total(again, "stream_messages_retried_total")).toBe(0);
  expect(total(again, "notifications_skipped_total", { reason: "already_sent" })).toBe(4);
  expect(total(again, "notifications_sent_total")).toBe(4);
  expect(countBy((await mailsOfRun()).map((g) => g.MessageID))).toEqual(expected);
  expect(await rowsNow()).toEqual(wanted);
}, 120_000);
