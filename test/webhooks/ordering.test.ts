/**
 * Per-payment order across many payments at once: 150 payments with three events each,
 * written interleaved, all of them waiting (every lane full) before deliveries start, to a
 * receiver that fails a fifth of the requests and answers the rest after a random delay.
 * Every event arrives, and for each payment the events are first delivered in the order
 * they happened.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import type { EventType } from "../../shared/merchant-events/catalogue.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import {
  deliveries,
  eventually,
  kill,
  newPaymentId,
  openDb,
  ready,
  seedEndpoint,
  seedMerchant,
  startDispatcher,
  uniquePool,
  writeEvent,
  type Dispatcher,
} from "./tools.ts";

let sql: Sql;
let rx: Receiver;
let dispatcher: Dispatcher | undefined;
let intakeOnly: Dispatcher | undefined;
let secret = "";

beforeAll(async () => {
  sql = await openDb();
  rx = await startReceiver({
    secrets: () => [secret],
    respond: async () => {
      await Bun.sleep(Math.floor(Math.random() * 20)); // answers take varying time, so attempts overlap
      return Math.random() < 0.2 ? 500 : 200;
    },
  });
});
afterAll(async () => {
  await kill(intakeOnly, "SIGTERM");
  await kill(dispatcher, "SIGTERM");
  rx.stop();
  await sql.end({ timeout: 5 });
}, 60_000); // a graceful stop of a dispatcher may take its drain time

const LIFECYCLE: EventType[] = ["payment.authorized", "payment.captured", "refund.succeeded"];

test("150 payments x 3 events, 20% failures: each payment's events arrive in the order they happened", async () => {
  const pool = uniquePool("order");
  const merchantId = await seedMerchant(sql, "Order Shop");
  const ep = await seedEndpoint(sql, { merchantId, url: rx.url, pool });
  secret = ep.secret;
  // First only the intake: a dispatcher serving another pool turns the events into deliveries
  // and sends none of them, so every lane holds all three events when sending starts.
  intakeOnly = startDispatcher({ WEBHOOK_POOL: `${pool}-none`, PAYORCH_DEV_MODE: "1" });
  await ready(intakeOnly);

  const payments = Array.from({ length: 150 }, () => newPaymentId());
  const expected = new Map<string, string[]>(payments.map((p) => [p, []]));
  // Step by step through the lifecycle, many payments at a time: events of different payments interleave.
  for (const type of LIFECYCLE) {
    for (let i = 0; i < payments.length; i += 25) {
      await Promise.all(payments.slice(i, i + 25).map(async (p) => expected.get(p)!.push(await writeEvent(sql, merchantId, p, type))));
    }
  }
  const all = [...expected.values()].flat();
  await eventually("every event's delivery created", async () => (await deliveries(sql, all)).length === all.length || undefined, 60_000, 200);
  await kill(intakeOnly, "SIGTERM");
  expect(rx.received.length).toBe(0);

  dispatcher = startDispatcher({
    WEBHOOK_POOL: pool,
    PAYORCH_DEV_MODE: "1",
    WEBHOOK_RETRY_SCHEDULE: "200ms,400ms",
    WEBHOOK_GIVE_UP_AFTER: "10m",
    WEBHOOK_CONCURRENCY: "16",
    WEBHOOK_POLL_MS: "50",
  });
  await ready(dispatcher);

  await eventually(
    "every event delivered",
    async () => (await deliveries(sql, all)).filter((d) => d.state === "delivered").length === all.length || undefined,
    120_000,
    500,
  );

  expect(rx.acceptedEventIds()).toEqual(new Set(all));
  expect(rx.orderViolations(expected)).toEqual([]);
  expect(rx.badRequests()).toEqual([]);
  const failed = rx.received.filter((r) => r.status === 500).length;
  console.log(`[webhook order test] ${all.length} events, ${rx.received.length} requests, ${failed} answered 500, duplicates: ${rx.duplicates().size}`);
  expect(failed).toBeGreaterThan(0);
  // A 500 is answered, so nothing is redelivered after a success: no duplicates without a crash.
  expect(rx.duplicates().size).toBe(0);
  // Every type arrived for every payment, as one sequence per payment.
  for (const [p, ids] of expected) {
    const types = ids.map((id) => rx.firstAccepted(id)!.type);
    expect({ p, types }).toEqual({ p, types: LIFECYCLE });
  }
}, 240_000);
