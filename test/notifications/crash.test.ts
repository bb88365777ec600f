/**
 * The notification worker SIGKILLed in the middle of 300 results, then restarted: every final
 * payment gets its email; a duplicate can only come from a crash between SMTP acceptance and
 * the "sent" mark, and then carries the same Message-ID.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import { eventually } from "../setup/wait.ts";
import { createTopics, kill, mailpit, openDb, produceResults, seedMerchant, seedPayments, settled, startService, uniqueName, type Proc } from "./tools.ts";

const mail = mailpit();
const run = uniqueName("kill").replace(/\./g, "-");
const topic = `it.notify.${run}`;
const procs: Proc[] = [];
let sql: Sql;

beforeAll(async () => {
  sql = await openDb();
  createTopics(topic);
});
afterAll(async () => {
  for (const p of procs) await kill(p);
  await sql.end({ timeout: 5 });
});

test("SIGKILL during 300 results: every payment has its email, duplicates only with the same Message-ID", async () => {
  const merchantId = await seedMerchant(sql, "Crash Test Shop");
  const results = await seedPayments(
    sql,
    Array.from({ length: 300 }, (_, i) => ({
      merchantId,
      status: i % 3 === 0 ? ("DENIED" as const) : ("APPROVED" as const),
      amount: 100 + i,
      currency: i % 2 ? "EUR" : "USD",
      email: `${run}-${i}@example.com`,
      name: `Customer ${i}`,
      ...(i % 3 === 0 ? { declineCode: "generic_decline" } : {}),
    })),
  );
  const expected = new Set(results.map((r) => `${r.paymentId}-${r.status.toLowerCase()}@payments.local`));
  produceResults(topic, results);

  const env = { SOURCE_TOPIC: topic, GROUP_ID: `${topic}.g`, CONCURRENCY: "4", SMTP_POOL_SIZE: "2", COMMIT_MS: "500" };
  const first = startService("notification-worker", env);
  procs.push(first);
  const mailsNow = async () => mail.search(`to:"${run}-"`);
  const atKill = await eventually(
    "a third of the mails",
    async () => {
      const n = (await sql`SELECT count(*)::int AS n FROM notifications WHERE payment_id IN ${sql(results.map((r) => r.paymentId))} AND state = 'sent'`)[0]!
        .n as number;
      return n >= 100 ? n : undefined;
    },
    90_000,
    20,
  );
  await kill(first);
  const claimedAtKill = (
    await sql`SELECT count(*)::int AS n FROM notifications WHERE payment_id IN ${sql(results.map((r) => r.paymentId))} AND state = 'claimed'`
  )[0]!.n as number;

  const second = startService("notification-worker", env);
  procs.push(second);
  await eventually(
    "every payment's mail",
    async () => {
      const msgs = await mailsNow();
      return new Set(msgs.map((m) => m.MessageID)).size >= 300 ? msgs : undefined;
    },
    120_000,
    500,
  );
  // A duplicate is a resend of a mail claimed but not marked sent at the kill; the restarted
  // worker resends it before it marks it. So once no notification is left claimed (each one
  // sent or failed) and the worker has committed everything it received and holds nothing, no
  // send is in flight or still to come, and the mails counted below are all there will be.
  await eventually(
    "no notification left claimed",
    async () => {
      const [row] =
        await sql`SELECT count(*)::int AS n, count(*) FILTER (WHERE state = 'claimed')::int AS claimed FROM notifications WHERE payment_id IN ${sql(results.map((r) => r.paymentId))}`;
      return row!.n === 300 && row!.claimed === 0;
    },
    60_000,
    500,
  );
  await settled(second, topic, 0);
  const final = await mailsNow();

  const byId = new Map<string, number>();
  for (const m of final) byId.set(m.MessageID, (byId.get(m.MessageID) ?? 0) + 1);
  const duplicates = [...byId].filter(([, n]) => n > 1);
  console.log(
    `[notification kill test] sent before kill: ${atKill}; claimed (in flight) at kill: ${claimedAtKill}; ` +
      `mails: ${final.length} for ${byId.size} payments; duplicated Message-IDs: ${duplicates.length}` +
      (duplicates.length ? ` (${duplicates.map(([id, n]) => `${id} x${n}`).join(", ")})` : ""),
  );
  // Exactly the expected Message-IDs, each at least once: a duplicate is the same mail again, never a different one.
  expect(new Set(byId.keys())).toEqual(expected);
  // A duplicate needs a crash between SMTP acceptance and the mark: at most the sends in flight at the kill.
  expect(final.length - 300).toBeLessThanOrEqual(Math.max(claimedAtKill, 4));
  const states = await sql`SELECT state, count(*)::int AS n FROM notifications WHERE payment_id IN ${sql(results.map((r) => r.paymentId))} GROUP BY state`;
  expect(states.map((r) => [r.state, r.n])).toEqual([["sent", 300]]);
}, 240_000);
