/**
 * SMTP failures: the stack's Mailpit stopped for a while (retry tiers carry the mails over the
 * outage), and an address the server rejects for good (recorded once, never retried). The
 * rejecting server is a second, private Mailpit started with --smtp-allowed-recipients.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { CACHE_BIN } from "../../infra/stack/paths.ts";
import type { Sql } from "../../shared/db/client.ts";
import { stopped } from "../streams/kafka-tools.ts";
import { total } from "../setup/metrics.ts";
import { eventually } from "../setup/wait.ts";
import {
  createTopics,
  kill,
  mailpit,
  openDb,
  produceResults,
  seedMerchant,
  seedPayments,
  settled,
  stackMailpit,
  startService,
  uniqueName,
  type Proc,
} from "./tools.ts";

const procs: Proc[] = [];
let sql: Sql;
let merchantId: string;

beforeAll(async () => {
  sql = await openDb();
  merchantId = await seedMerchant(sql, "Outage Shop");
});
afterAll(async () => {
  for (const p of procs) await kill(p);
  await sql.end({ timeout: 5 });
});

const rowsOf = (ids: string[]) => sql`SELECT payment_id, state, attempts, last_error FROM notifications WHERE payment_id IN ${sql(ids)}`;

test("Mailpit stopped for a while: sends retry through the tiers and all arrive after it returns", async () => {
  const run = uniqueName("outage").replace(/\./g, "-");
  const topic = `it.notify.${run}`;
  createTopics(topic);
  const results = await seedPayments(
    sql,
    Array.from({ length: 5 }, (_, i) => ({ merchantId, status: "APPROVED" as const, amount: 500 + i, currency: "EUR", email: `${run}-${i}@example.com` })),
  );
  const ids = results.map((r) => r.paymentId);
  const worker = startService("notification-worker", { SOURCE_TOPIC: topic, GROUP_ID: `${topic}.g`, SMTP_CONNECT_TIMEOUT_MS: "1000" });
  procs.push(worker);
  try {
    stackMailpit("stop");
    produceResults(topic, results);
    // First delivery and the 1 s tier both fail while Mailpit is down.
    await eventually(
      "two failed attempts per mail",
      async () => {
        const rows = await rowsOf(ids);
        return rows.length === 5 && rows.every((r) => r.attempts >= 2 && r.state === "claimed") ? rows : undefined;
      },
      45_000,
    );
    const rows = await rowsOf(ids);
    for (const r of rows) expect(r.last_error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
  } finally {
    stackMailpit("start");
  }
  // The 10 s tier delivers them.
  const mail = mailpit();
  await eventually(
    "all 5 mails after Mailpit returned",
    async () => {
      const m = await mail.search(`to:"${run}-"`);
      return m.length >= 5 ? m : undefined;
    },
    60_000,
    500,
  );
  // Each notification leaves "claimed" only once its last send is over (sent, or failed for
  // good), and the worker then holds and owes nothing: no send is left to add a sixth mail.
  await eventually(
    "every notification out of claimed",
    async () => {
      const rows = await rowsOf(ids);
      return rows.length === 5 && rows.every((r) => r.state !== "claimed");
    },
    30_000,
  );
  await settled(worker, topic, 5);
  const got = await mail.search(`to:"${run}-"`);
  expect(new Set(got.map((m) => m.MessageID))).toEqual(new Set(ids.map((id) => `${id}-approved@payments.local`)));
  expect(got.length).toBe(5);
  const after = await rowsOf(ids);
  expect(after.every((r) => r.state === "sent" && r.attempts >= 3)).toBe(true);
  const retried = worker.logs().filter((l) => l.msg === "mail not sent; will retry");
  console.log(`[outage test] failed attempts logged while Mailpit was down: ${retried.length}`);
}, 150_000);

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

test("an address the server rejects permanently (550) is recorded as failed and not retried", async () => {
  const [smtpPort, httpPort] = [await freePort(), await freePort()];
  const strict: ChildProcess = spawn(
    join(CACHE_BIN, "mailpit"),
    [
      "--listen",
      `127.0.0.1:${httpPort}`,
      "--smtp",
      `127.0.0.1:${smtpPort}`,
      "--smtp-allowed-recipients",
      "@accepted\\.example$",
      "--disable-version-check",
      "--quiet",
    ],
    { stdio: "ignore" },
  );
  try {
    const strictApi = `http://127.0.0.1:${httpPort}`;
    await eventually(
      "the strict Mailpit",
      () =>
        fetch(`${strictApi}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      15_000,
    );
    const run = uniqueName("reject").replace(/\./g, "-");
    const topic = `it.notify.${run}`;
    createTopics(topic);
    const [bad, good] = await seedPayments(sql, [
      { merchantId, status: "DENIED", amount: 700, currency: "USD", email: `${run}@refused.example`, declineCode: "expired_card" },
      { merchantId, status: "APPROVED", amount: 800, currency: "USD", email: `${run}@accepted.example` },
    ]);
    const worker = startService("notification-worker", { SOURCE_TOPIC: topic, GROUP_ID: `${topic}.g`, SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
    procs.push(worker);
    produceResults(topic, [bad!, good!]);

    const strictMail = mailpit(strictApi);
    await eventually("the accepted mail", async () => ((await strictMail.search(`to:"${run}@accepted.example"`)).length === 1 ? true : undefined), 60_000);
    const failed = await eventually(
      "the rejection recorded",
      async () => {
        const [r] = await rowsOf([bad!.paymentId]);
        return r?.state === "failed" ? r : undefined;
      },
      60_000,
    );
    expect(failed.last_error).toContain("550");
    // Both records finished, committed, nothing held, and none of them routed to a retry tier or
    // the DLQ: no retried send can still come to bump the attempts.
    const m = await settled(worker, topic, 2);
    expect(total(m, "stream_messages_handled_total", { topic })).toBe(2);
    expect(total(m, "stream_messages_retried_total")).toBe(0);
    expect(total(m, "stream_messages_dead_lettered_total")).toBe(0);
    expect(total(m, "notifications_failed_total", { kind: "rejected" })).toBe(1);
    const [still] = await rowsOf([bad!.paymentId]);
    expect(still).toMatchObject({ state: "failed", attempts: 1 });
    expect(worker.logs().filter((l) => l.paymentId === bad!.paymentId && l.msg === "recipient rejected permanently; recorded, not retried").length).toBe(1);
    expect(worker.logs().some((l) => l.paymentId === bad!.paymentId && l.attempt !== 1)).toBe(false);
  } finally {
    strict.kill("SIGKILL");
    await stopped(strict);
  }
}, 120_000);
