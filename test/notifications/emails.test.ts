/**
 * Customer emails end to end: PaymentResult on Kafka → notification worker (Node) → Mailpit.
 * Each file runs the worker on its own topic (same code path as payments.results) so tests
 * never consume each other's records.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import { total } from "../setup/metrics.ts";
import { eventually } from "../setup/wait.ts";
import { createTopics, kill, mailpit, openDb, produceResults, seedMerchant, seedPayments, settled, startService, uniqueName, type Proc } from "./tools.ts";

const mail = mailpit();
const run = uniqueName("mail").replace(/\./g, "-");
const topic = `it.notify.${run}`;
let sql: Sql;
let worker: Proc;
let merchantId: string;

beforeAll(async () => {
  sql = await openDb();
  merchantId = await seedMerchant(sql, "Acme & <Sons>");
  createTopics(topic);
  worker = startService("notification-worker", { SOURCE_TOPIC: topic, GROUP_ID: `${topic}.g` });
});
afterAll(async () => {
  await kill(worker);
  await sql.end({ timeout: 5 });
}, 30_000);

const oneMail = (messageId: string) =>
  eventually(
    `the mail ${messageId}`,
    async () => {
      const found = await mail.search(`message-id:"${messageId}"`);
      return found.length > 0 ? found : undefined;
    },
    60_000,
  );

test("an approved and a denied payment each produce exactly one email with subject, recipient, amount and Message-ID", async () => {
  const [approved, denied] = await seedPayments(sql, [
    { merchantId, status: "APPROVED", amount: 1999, currency: "USD", email: `${run}-jane@example.com`, name: "Jane Doe" },
    {
      merchantId,
      status: "DENIED",
      amount: 1500,
      currency: "JPY",
      email: `${run}-bob@example.com`,
      name: `<b>Bob</b> & "Co"`,
      declineCode: "insufficient_funds",
    },
  ]);
  produceResults(topic, [approved!, denied!]);

  const a = await oneMail(`${approved!.paymentId}-approved@payments.local`);
  const d = await oneMail(`${denied!.paymentId}-denied@payments.local`);
  // A second copy could only come from the worker handling a record again or retrying it. Once
  // it has finished both records, committed them and holds nothing, and routed none to a retry
  // tier, nothing it received can send again: the count below is final.
  const m = await settled(worker, topic, 2);
  expect(total(m, "stream_messages_retried_total")).toBe(0);
  expect((await mail.search(`message-id:"${approved!.paymentId}-approved@payments.local"`)).length).toBe(1);
  expect((await mail.search(`message-id:"${denied!.paymentId}-denied@payments.local"`)).length).toBe(1);

  const am = await mail.get(a[0]!.ID);
  expect(am.Subject).toBe("Payment approved: $19.99 to Acme & <Sons>");
  expect(am.To.map((t) => t.Address)).toEqual([`${run}-jane@example.com`]);
  expect(am.Text).toContain("$19.99");
  expect(am.Text).toContain(approved!.paymentId);
  expect(am.HTML).toContain("$19.99");
  expect(am.HTML).toContain("Acme &amp; &lt;Sons&gt;");

  const dm = await mail.get(d[0]!.ID);
  expect(dm.Subject).toBe("Payment declined: ¥1,500 to Acme & <Sons>");
  expect(dm.To.map((t) => t.Address)).toEqual([`${run}-bob@example.com`]);
  expect(dm.Text).toContain("¥1,500");
  expect(dm.Text).toContain("insufficient funds");
  expect(dm.Text).not.toContain("insufficient_funds");
  expect(dm.HTML).toContain("¥1,500");
  // The customer name with HTML arrives escaped in the HTML part.
  expect(dm.HTML).toContain("&lt;b&gt;Bob&lt;/b&gt; &amp; &quot;Co&quot;");
  expect(dm.HTML).not.toContain("<b>Bob</b>");

  const rows =
    await sql`SELECT payment_id, state, attempts FROM notifications WHERE payment_id IN ${sql([approved!.paymentId, denied!.paymentId])} ORDER BY status`;
  expect(rows.map((r) => [r.state, r.attempts])).toEqual([
    ["sent", 1],
    ["sent", 1],
  ]);

  // Every log line about the payment carries the correlation id of its record.
  const lines = worker.logs().filter((l) => l.paymentId === approved!.paymentId);
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(l.correlationId).toBe(`corr-${approved!.paymentId}`);
}, 90_000);

test("a redelivered result sends nothing new", async () => {
  const [r] = await seedPayments(sql, [{ merchantId, status: "APPROVED", amount: 1234, currency: "KWD", email: `${run}-dup@example.com`, name: "Dup" }]);
  produceResults(topic, [r!]);
  const first = await oneMail(`${r!.paymentId}-approved@payments.local`);
  expect((await mail.get(first[0]!.ID)).Text).toMatch(/KWD\s1\.234/);

  produceResults(topic, [r!, r!]); // two redeliveries (as after a relay crash mid-batch)
  await eventually(
    "both redeliveries handled",
    () => worker.logs().filter((l) => l.paymentId === r!.paymentId && l.msg === "mail already sent; nothing to do").length >= 2,
    60_000,
  );
  expect((await mail.search(`message-id:"${r!.paymentId}-approved@payments.local"`)).length).toBe(1);
  const [row] = await sql`SELECT state, attempts FROM notifications WHERE payment_id = ${r!.paymentId}`;
  expect(row).toEqual({ state: "sent", attempts: 1 });
}, 90_000);
