/**
 * Retention of rows that are done with, against the real stack: published outbox rows and
 * sent-notification claims are purged after their window, a small batch at a time, by the
 * same functions the relay and the notification worker run; what is still owed (a
 * quarantined row, a mail that failed or is claimed, anything younger than its window) stays.
 */
import { expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import { pruneOutbox } from "../../streams/outbox-relay/relay.ts";
import { notificationStore } from "../../streams/notification-worker/store.ts";
import { createPayment, db, eventually, waitFinal } from "../payments/support.ts";

const sql = db as unknown as Sql;

async function mailedPayments(n: number): Promise<string[]> {
  const ids = (await Promise.all(Array.from({ length: n }, () => createPayment("pm_card_visa")))).map((p) => p.id);
  await waitFinal(ids, 60_000);
  await eventually(
    "every mail sent",
    async () => {
      const [r] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM notifications WHERE payment_id = ANY(${ids}) AND state = 'sent'`;
      return r!.n === n;
    },
    60_000,
  );
  return ids;
}

test("published outbox rows older than the window are purged in batches; younger and quarantined rows stay", async () => {
  const ids = await mailedPayments(6);
  const [old, young] = [ids.slice(0, 4), ids.slice(4)];
  await db`UPDATE outbox SET published_at = now() - interval '2 hours' WHERE key = ANY(${old}) AND published_at IS NOT NULL`;
  const [q] = await db<{ id: string }[]>`
    INSERT INTO outbox (topic, key, payload, created_at, quarantined_at)
    VALUES ('no.such.topic', ${`poison-${crypto.randomUUID()}`}, '{}'::jsonb, now() - interval '3 hours', now() - interval '3 hours')
    RETURNING id::text`;
  const count = async (keys: string[]) => (await db<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE key = ANY(${keys})`)[0]!.n;
  const youngRows = await count(young);
  expect(await count(old)).toBeGreaterThanOrEqual(8); // each: its create and its result

  // Batches of 3: the purge goes on until a short batch, however many are due.
  expect(await pruneOutbox(sql, 60, { batch: 3 })).toBeGreaterThanOrEqual(8);

  expect(await count(old)).toBe(0);
  expect(await count(young)).toBe(youngRows);
  expect((await db`SELECT 1 FROM outbox WHERE id = ${q!.id}::bigint`).length).toBe(1);
  await db`DELETE FROM outbox WHERE id = ${q!.id}::bigint`;
});

test("sent notification claims older than the window are purged; failed, claimed and younger ones stay", async () => {
  const [oldSent, youngSent, oldFailed, oldClaimed] = await mailedPayments(4);
  await db`UPDATE notifications SET sent_at = now() - interval '8 days' WHERE payment_id = ${oldSent!}`;
  await db`UPDATE notifications SET sent_at = now() - interval '6 days' WHERE payment_id = ${youngSent!}`;
  await db`UPDATE notifications SET state = 'failed', sent_at = NULL, claimed_at = now() - interval '9 days' WHERE payment_id = ${oldFailed!}`;
  await db`UPDATE notifications SET state = 'claimed', sent_at = NULL, claimed_at = now() - interval '9 days' WHERE payment_id = ${oldClaimed!}`;

  await notificationStore(sql).purgeSent(7 * 24);

  const left = await db<{ payment_id: string; state: string }[]>`
    SELECT payment_id, state FROM notifications WHERE payment_id = ANY(${[oldSent!, youngSent!, oldFailed!, oldClaimed!]}) ORDER BY state`;
  expect(left.map((r) => [r.payment_id, r.state])).toEqual([
    [oldClaimed!, "claimed"],
    [oldFailed!, "failed"],
    [youngSent!, "sent"],
  ]);
});

test("both purges read their due rows over an index, so a batch stays cheap as the tables grow", async () => {
  const plan = async (q: string) => (await db.unsafe(`EXPLAIN ${q}`)).map((r) => String(r["QUERY PLAN"])).join("\n");
  expect(await plan("SELECT ctid FROM outbox WHERE published_at < now() - interval '1 hour' ORDER BY published_at LIMIT 2000")).toContain(
    "outbox_published_at",
  );
  expect(await plan("SELECT ctid FROM notifications WHERE state = 'sent' AND sent_at < now() - interval '7 days' ORDER BY sent_at LIMIT 2000")).toContain(
    "notifications_sent_at",
  );
});
