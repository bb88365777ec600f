/**
 * Group commit (api/payments/group-commit.ts): concurrent creates share one
 * create_payments() transaction, and every caller still gets exactly the answer it would
 * have got alone, including when two requests with one key land in the same batch and
 * when Postgres refuses one item's data (the others still commit).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createGroupCommitter } from "../../api/payments/group-commit.ts";
import type { CreatePaymentBody } from "../../api/payments/model.ts";
import { type CreateCommand, createPaymentsService } from "../../api/payments/service.ts";
import { createDb, type Sql } from "../../shared/db/client.ts";
import type { ReplicaReads } from "../../shared/db/replica-reads.ts";
import { Topics } from "../../shared/topics.ts";
import { createHarness, testDatabaseUrls, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** These tests only create: every read goes to the pool given. */
const readsOn = (sql: Sql): ReplicaReads => ({ read: (query) => query(sql), lagMs: () => 0, stop: () => {} });

/** A committer that records its batch sizes, and services over it that share nothing else. */
function setup(lingerMs = 0) {
  const batches: number[] = [];
  const committer = createGroupCommitter({ sql: h.primary, maxBatch: 64, maxInFlight: 1, lingerMs, onBatch: (n) => batches.push(n) });
  const service = () => createPaymentsService({ primary: h.primary, reads: readsOn(h.replica), committer });
  return { batches, committer, service };
}

const command = (idempotencyKey: string, body = validBody(), merchantId = h.merchantA.merchantId): CreateCommand => ({
  merchantId,
  idempotencyKey,
  body: body as CreatePaymentBody, // what the route's schema check passes on
  correlationId: crypto.randomUUID(),
});

async function stored(ids: string[]) {
  const [row] = await h.primary`
    SELECT (SELECT count(*)::int FROM payments WHERE id IN ${h.primary(ids)}) AS payments,
           (SELECT count(*)::int FROM outbox WHERE key IN ${h.primary(ids)} AND topic = ${Topics.paymentsCreated}) AS outbox`;
  return row as { payments: number; outbox: number };
}

/** Occupies the committer's one slot so that what is submitted next is queued into one batch. */
const occupy = (svc: ReturnType<ReturnType<typeof setup>["service"]>) => svc.create(command(`gc-first-${crypto.randomUUID()}`));

test("concurrent creates share transactions, and each caller gets its own payment", async () => {
  const { batches, service } = setup();
  const svc = service();
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => svc.create(command(`gc-${i}-${crypto.randomUUID()}`))));
  expect(results.every((r) => r.status === 201 && !r.replayed)).toBe(true);
  const ids = results.map((r) => r.paymentId);
  expect(new Set(ids).size).toBe(40);
  expect(results.map((r) => JSON.parse(r.body).id)).toEqual(ids);
  expect(await stored(ids)).toEqual({ payments: 40, outbox: 40 });
  expect(batches.reduce((a, b) => a + b, 0)).toBe(40);
  expect(Math.max(...batches)).toBeGreaterThan(1);
});

test("one key twice in one batch: the first creates, the second replays it; a changed body is 422", async () => {
  const { batches, service } = setup();
  const [first, second] = [service(), service()]; // two instances' worth of in-memory state
  const same = `gc-same-${crypto.randomUUID()}`;
  const changed = `gc-changed-${crypto.randomUUID()}`;
  const blocker = occupy(first);
  const a = first.create(command(same));
  const b = second.create(command(same));
  const c = first.create(command(changed));
  const d = second.create(command(changed, { ...validBody(), amount: 5000 }));
  await blocker;
  const [ra, rb] = await Promise.all([a, b]);
  expect(batches).toEqual([1, 4]);
  expect(ra).toMatchObject({ status: 201, replayed: false });
  expect(rb).toMatchObject({ status: 201, replayed: true, paymentId: ra.paymentId });
  expect(rb.body).toBe(ra.body);
  expect((await c).status).toBe(201);
  await expect(d).rejects.toMatchObject({ status: 422 });
  expect(await stored([ra.paymentId, (await c).paymentId])).toEqual({ payments: 2, outbox: 2 });
});

test("a batch that Postgres refuses for one item's data is retried in smaller groups: the others are created", async () => {
  const { batches, service } = setup();
  const svc = service();
  const blocker = occupy(svc);
  // Built below validation (the route's schema refuses it): jsonb cannot hold NUL, so the
  // whole create_payments() call fails with a data exception (SQLSTATE 22P05).
  const poisoned = { ...validBody(), description: "poison \u0000" };
  const keys = Array.from({ length: 8 }, (_, i) => `gc-poison-${i}-${crypto.randomUUID()}`);
  const results = await Promise.allSettled(keys.map((k, i) => svc.create(command(k, i === 5 ? poisoned : validBody()))));
  await blocker;
  expect(batches.slice(0, 2)).toEqual([1, 8]); // the eight really shared one transaction first
  expect(batches.length - 1).toBeLessThanOrEqual(2 * 8 - 1); // halving, not a retry storm
  expect(results.map((r) => r.status)).toEqual(keys.map((_, i) => (i === 5 ? "rejected" : "fulfilled")));
  const created = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  expect(created.every((r) => r.status === 201 && !r.replayed)).toBe(true);
  expect(await stored(created.map((r) => r.paymentId))).toEqual({ payments: 7, outbox: 7 });
  // The refused item's key was never stored, so a corrected retry creates it.
  const [claimed] = await h.primary`SELECT count(*)::int AS n FROM idempotency_keys WHERE merchant_id = ${h.merchantA.merchantId} AND key = ${keys[5]!}`;
  expect(claimed!.n).toBe(0);
  expect(await svc.create(command(keys[5]!))).toMatchObject({ status: 201, replayed: false });
});

test("an integrity failure of one item (foreign key) fails that item alone", async () => {
  const { service } = setup();
  const svc = service();
  const goodKey = `gc-good-${crypto.randomUUID()}`;
  const blocker = occupy(svc);
  // A merchant that does not exist passes every check in the API process (auth would
  // never let it through); inside the transaction its foreign key fails the batch.
  const good = svc.create(command(goodKey)).then(
    (r) => r.status,
    () => "failed",
  );
  const bad = svc.create(command(`gc-bad-${crypto.randomUUID()}`, validBody(), "mer_does_not_exist")).then(
    (r) => r.status,
    () => "failed",
  );
  await blocker;
  expect([await good, await bad]).toEqual([201, "failed"]);
});

test("a connection failure is not retried in smaller groups: every request in the batch fails once", async () => {
  // Nothing listens on port 1: each call fails before reaching Postgres.
  const sql = createDb({ url: "postgres://nobody@127.0.0.1:1/none", max: 1, connectTimeout: 2, applicationName: "api-tests-down" });
  try {
    const batches: number[] = [];
    const committer = createGroupCommitter({ sql, maxBatch: 64, maxInFlight: 1, onBatch: (n) => batches.push(n) });
    const svc = createPaymentsService({ primary: sql, reads: readsOn(sql), committer });
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => svc.create(command(`gc-down-${i}-${crypto.randomUUID()}`))));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(batches).toEqual([1, 4]);
  } finally {
    await sql.end({ timeout: 1 });
  }
});

test("linger: a busy committer waits for more creates before the next batch; an idle one sends at once", async () => {
  const { batches, service } = setup(2_000); // long, so "went at once" is unmistakable
  const atOnce = 1_000;
  const svc = service();
  const t0 = performance.now();
  await svc.create(command(`gc-idle-${crypto.randomUUID()}`));
  expect(performance.now() - t0).toBeLessThan(atOnce); // no linger before the very first batch
  // Busy: a batch of three (the first alone, two queued behind it).
  await Promise.all(Array.from({ length: 3 }, (_, i) => svc.create(command(`gc-busy-${i}-${crypto.randomUUID()}`))));
  expect(batches).toEqual([1, 1, 2]);
  // The last batch carried two, so two creates 50 ms apart share the next one.
  const first = svc.create(command(`gc-linger-a-${crypto.randomUUID()}`));
  await Bun.sleep(50);
  const second = svc.create(command(`gc-linger-b-${crypto.randomUUID()}`));
  await Promise.all([first, second]);
  expect(batches).toEqual([1, 1, 2, 2]);
  // A lone create after a batch of two still waits (the committer cannot know the burst
  // is over); the next one, after a batch of one, goes at once.
  await svc.create(command(`gc-after-${crypto.randomUUID()}`));
  expect(batches).toEqual([1, 1, 2, 2, 1]);
  const t1 = performance.now();
  await svc.create(command(`gc-idle-again-${crypto.randomUUID()}`));
  expect(performance.now() - t1).toBeLessThan(atOnce);
  expect(batches).toEqual([1, 1, 2, 2, 1, 1]);
  // Busy again; a queue that fills up (a quarter of maxBatch) while waiting goes at once.
  await Promise.all(Array.from({ length: 3 }, (_, i) => svc.create(command(`gc-busy2-${i}-${crypto.randomUUID()}`))));
  const t2 = performance.now();
  await Promise.all(Array.from({ length: 16 }, (_, i) => svc.create(command(`gc-full-${i}-${crypto.randomUUID()}`))));
  expect(performance.now() - t2).toBeLessThan(atOnce);
  expect(batches.slice(6)).toEqual([1, 2, 16]);
});

test("a replayed key is looked up by primary key: no create or replay scans idempotency_keys", async () => {
  // One connection, so its table statistics can be flushed and read back in order.
  const sql = createDb({ url: testDatabaseUrls.primary, max: 1, applicationName: "api-tests-scan" });
  try {
    const seqScans = async () => {
      await sql`SELECT pg_stat_force_next_flush()`;
      await sql`SELECT 1`; // this statement's end flushes what the one before asked for
      await sql`SELECT pg_stat_clear_snapshot()`;
      const [row] = await sql`SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'idempotency_keys'`;
      return Number(row!.seq_scan);
    };
    const committer = createGroupCommitter({ sql, maxBatch: 8, maxInFlight: 1 });
    const svc = createPaymentsService({ primary: sql, reads: readsOn(h.replica), committer });
    const before = await seqScans();
    const keys = Array.from({ length: 40 }, (_, i) => `gc-scan-${i}-${crypto.randomUUID()}`);
    await Promise.all(keys.map((k) => svc.create(command(k))));
    const replays = await Promise.all(keys.slice(0, 8).map((k) => svc.create(command(k))));
    expect(replays.every((r) => r.replayed)).toBe(true);
    expect((await seqScans()) - before).toBe(0);
  } finally {
    await sql.end({ timeout: 5 });
  }
});
