/**
 * Dead letters end to end on the real stack: a record the notification worker gives up lands
 * in `<topic>.dlq`, the DLQ consumer stores it, alerts ops by mail, and replay (CLI or /ops)
 * goes through the outbox relay back to the first retry tier of the original topic.
 * Own topics per run (same code path as payments.results).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createLogger } from "../../api/observability/logger.ts";
import { buildApi } from "../../api/wiring.ts";
import type { Sql } from "../../shared/db/client.ts";
import { Headers, dlqTopic, retryTopic } from "../../shared/topics.ts";
import { ROOT, produce } from "../streams/kafka-tools.ts";
import {
  createTopics,
  kill,
  mailpit,
  newPaymentId,
  openDb,
  produceResults,
  seedMerchant,
  seedPayments,
  settled,
  startService,
  uniqueName,
  type Proc,
} from "../notifications/tools.ts";
import { eventually } from "../setup/wait.ts";

const run = uniqueName("dlq").replace(/\./g, "-");
const topic = `it.dlq.${run}`;
const opsEmail = `ops-${run}@payments.local`;
const mail = mailpit();
const procs: Proc[] = [];
let sql: Sql;
let merchantId: string;
let notifier: Proc;
let dlqConsumer: Proc;

beforeAll(async () => {
  sql = await openDb();
  merchantId = await seedMerchant(sql, "Dead Letter Shop");
  createTopics(topic);
  notifier = startService("notification-worker", { SOURCE_TOPIC: topic, GROUP_ID: `${topic}.g` });
  procs.push(notifier);
  dlqConsumer = startService("dlq-consumer", { DLQ_TOPICS: dlqTopic(topic), GROUP_ID: `${topic}.dlq.g`, ALERT_INTERVAL_MS: "1500", OPS_ALERT_EMAIL: opsEmail });
  procs.push(dlqConsumer);
});
afterAll(async () => {
  for (const p of procs) await kill(p);
  await sql.end({ timeout: 5 });
});

const deadLettersOf = (key: string) => sql`SELECT * FROM dead_letters WHERE topic = ${dlqTopic(topic)} AND key = ${key} ORDER BY id`;
const waitDeadLetters = (key: string, n = 1) =>
  eventually(
    `${n} dead letter(s) for ${key}`,
    async () => {
      const rows = await deadLettersOf(key);
      return rows.length >= n ? rows : undefined;
    },
    60_000,
  );

test("a poison message is stored as a dead letter, logged at error level, and an ops alert mail arrives", async () => {
  const [paid] = await seedPayments(sql, [{ merchantId, status: "APPROVED", amount: 100, currency: "USD", email: `${run}-poison@example.com` }]);
  const poison = "\u0000{not json";
  produce(topic, [{ key: paid!.paymentId, value: poison, headers: { [Headers.correlationId]: `corr-poison-${run}` } }]);

  const [dl] = await waitDeadLetters(paid!.paymentId);
  expect(dl).toMatchObject({ original_topic: topic, error_class: "PoisonError", attempts: 1, state: "new" });
  expect(Buffer.from(dl!.payload).toString("utf8")).toBe(poison);
  expect(dl!.headers[Headers.correlationId]).toBe(`corr-poison-${run}`);
  expect(dl!.headers[Headers.deadLetterReason]).toBe("poison");

  const alert = dlqConsumer.logs().find((l) => l.deadLetterId === String(dl!.id));
  expect(alert?.level).toBe(50);
  expect(alert?.correlationId).toBe(`corr-poison-${run}`);

  const mails = await eventually(
    "the ops alert mail",
    async () => {
      const m = await mail.search(`to:"${opsEmail}"`);
      return m.some((x) => x.Subject.includes("dead letter")) ? m : undefined;
    },
    30_000,
  );
  const body = await mail.get(mails[0]!.ID);
  expect(body.Subject).toMatch(/^\[payments\] \d+ new dead letters? \(/);
  expect(body.Text).toContain(`#${dl!.id}`);
  expect(body.Text).toContain(paid!.paymentId);
  expect(body.Text).not.toContain("not json"); // payloads stay out of mails
  // A redelivered DLQ record (same coordinates) is stored once.
  expect((await deadLettersOf(paid!.paymentId)).length).toBe(1);
}, 90_000);

test("a dead letter of a PENDING payment shows on the payment as last_error; a burst is one alert mail", async () => {
  const pending = await seedPayments(
    sql,
    Array.from({ length: 3 }, (_, i) => ({ merchantId, status: "PENDING" as const, amount: 900 + i, currency: "EUR", email: `${run}-p${i}@example.com` })),
  );
  const before = (await mail.search(`to:"${opsEmail}"`)).length;
  // As the payment worker would dead-letter them after exhausting its tiers.
  produce(
    dlqTopic(topic),
    pending.map((p) => ({
      key: p.paymentId,
      value: JSON.stringify({ paymentId: p.paymentId }),
      headers: {
        [Headers.originalTopic]: topic,
        [Headers.originalPartition]: "3",
        [Headers.originalOffset]: "42",
        [Headers.attempt]: "4",
        [Headers.errorClass]: "GatewayUnavailable",
        [Headers.errorMessage]: "simulator outage: 503",
        [Headers.deadLetterReason]: "exhausted",
      },
    })),
  );
  for (const p of pending) {
    const [dl] = await waitDeadLetters(p.paymentId);
    expect(dl).toMatchObject({ attempts: 4, original_partition: 3, original_offset: "42", error_class: "GatewayUnavailable" });
    const [pay] = await sql`SELECT status, last_error FROM payments WHERE id = ${p.paymentId}`;
    expect(pay!.status).toBe("PENDING");
    expect(pay!.last_error).toContain("simulator outage: 503");
    expect(pay!.last_error).toContain("exhausted");
  }
  // An alert marks what it listed only after the SMTP server accepted it, in the same
  // transaction: once all three are marked, every mail that could list one of them is in.
  await eventually(
    "the three dead letters alerted",
    async () => {
      const [r] =
        await sql`SELECT count(*)::int AS n FROM dead_letters WHERE topic = ${dlqTopic(topic)} AND key IN ${sql(pending.map((p) => p.paymentId))} AND alerted_at IS NOT NULL`;
      return r!.n === pending.length;
    },
    30_000,
  );
  const after = await mail.search(`to:"${opsEmail}"`);
  const burstMails = after.length - before;
  expect(burstMails).toBe(1);
  const burst = await mail.get(after[0]!.ID); // newest first
  for (const p of pending) expect(burst.Text).toContain(p.paymentId);
}, 90_000);

test("replay after fixing the cause (CLI): an outbox row for the first retry tier, then the relay publishes it and the mail arrives", async () => {
  // Cause: a result whose payment row is missing is fatal → DLQ.
  const missing = newPaymentId();
  const [event] = (
    await seedPayments(sql, [{ merchantId, status: "APPROVED", amount: 4321, currency: "GBP", email: `${run}-fixed@example.com`, name: "Fixed Later" }])
  ).map((e) => ({ ...e, paymentId: missing }));
  produceResults(topic, [event!], () => ({ [Headers.correlationId]: `corr-fix-${run}` }));
  const [dl] = await waitDeadLetters(missing);
  expect(dl).toMatchObject({ error_class: "FatalError", state: "new" });
  expect(dl!.error_message).toContain("not found");

  // Fix: the payment row appears. Replay with the CLI.
  await seedPayments(sql, [
    { id: missing, merchantId, status: "APPROVED", amount: 4321, currency: "GBP", email: `${run}-fixed@example.com`, name: "Fixed Later" },
  ]);
  const cli = spawnSync("bun", ["run", "--silent", "dlq", "replay", String(dl!.id)], { cwd: ROOT, encoding: "utf8" });
  expect(cli.stdout).toContain(`replayed dead letter ${dl!.id}`);
  expect(cli.status).toBe(0);

  const [row] = await sql`SELECT topic, key, payload, payload_bytes, headers FROM outbox WHERE key = ${missing} ORDER BY id DESC LIMIT 1`;
  expect(row!.topic).toBe(retryTopic(topic, "1s"));
  expect(row!.payload).toBeNull();
  expect(Buffer.from(row!.payload_bytes).equals(Buffer.from(dl!.payload))).toBe(true);
  expect(row!.headers[Headers.attempt]).toBe("0");
  expect(row!.headers[Headers.replay]).toBe(String(dl!.id));
  expect(row!.headers[Headers.correlationId]).toBe(`corr-fix-${run}`);
  expect(row!.headers[Headers.errorClass]).toBeUndefined();
  expect((await deadLettersOf(missing))[0]!.state).toBe("replayed");

  // The relay publishes the outbox row; the worker sends the mail.
  procs.push(startService("outbox-relay", { SERVICE_NAME: `relay-${run}` }));
  await eventually(
    "the mail after replay",
    async () => {
      const m = await mail.search(`message-id:"${missing}-approved@payments.local"`);
      return m.length ? m : undefined;
    },
    60_000,
  );
  // The worker has finished the replayed record (on the first retry tier), committed it and
  // holds nothing: nothing is left that could send the mail a second time.
  await settled(notifier, retryTopic(topic, "1s"), 1);
  expect((await mail.search(`message-id:"${missing}-approved@payments.local"`)).length).toBe(1);
}, 150_000);

test("a poison pill replayed through /ops keeps its exact bytes through the outbox relay, and dies again marked as a replay", async () => {
  const [paid] = await seedPayments(sql, [{ merchantId, status: "APPROVED", amount: 100, currency: "USD", email: `${run}-poison2@example.com` }]);
  produce(topic, [{ key: paid!.paymentId, value: "\u0001 not JSON \u00ff", headers: {} }]);
  const [first] = await waitDeadLetters(paid!.paymentId);
  // The API as production builds it, over this test's database.
  const api = buildApi({
    primary: sql,
    replica: sql,
    logger: createLogger("silent"),
    config: { bodyLimitBytes: 16 * 1024, createBatchMax: 64, dbPoolMax: 4, authCacheMs: 0, opsApiKey: "ops-test-key-0123456789" },
  });
  const res = await api.handle(
    new Request(`http://localhost/ops/dead-letters/${first!.id}/replay`, { method: "POST", headers: { authorization: "Bearer ops-test-key-0123456789" } }),
  );
  api.reads.stop();
  expect(res.status).toBe(200);
  expect(((await res.json()) as { state: string }).state).toBe("replayed");
  if (!procs.some((p) => p.logFile.includes("outbox-relay"))) procs.push(startService("outbox-relay", { SERVICE_NAME: `relay2-${run}` }));
  const [, again] = await waitDeadLetters(paid!.paymentId, 2);
  expect(Buffer.from(again!.payload).equals(Buffer.from(first!.payload))).toBe(true);
  expect(again!.headers[Headers.replay]).toBe(String(first!.id));
  expect(again!.topic).toBe(dlqTopic(topic));
}, 150_000);
