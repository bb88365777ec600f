/**
 * A receiver that answers 500 for longer than three retry tiers (the tiers shortened by
 * WEBHOOK_RETRY_SCHEDULE), then recovers: every event arrives, signed, and the delivery
 * log holds every attempt the receiver saw, with its status. The dispatcher runs from the
 * production entry point; events come through recordEvent, the outbox relay and Kafka.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import {
  attemptLog,
  deliveries,
  eventually,
  kill,
  metric,
  newPaymentId,
  openDb,
  ready,
  sample,
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
let secret = "";

beforeAll(async () => {
  sql = await openDb();
  rx = await startReceiver({ secrets: () => [secret], respond: () => 500 });
});
afterAll(async () => {
  await kill(dispatcher, "SIGTERM");
  rx.stop();
  await sql.end({ timeout: 5 });
}, 60_000); // a graceful stop of a dispatcher may take its drain time

test("500s through three tiers and more, then recovery: every event arrives, every attempt is logged", async () => {
  const pool = uniquePool("retries");
  const merchantId = await seedMerchant(sql, "Retry Shop");
  const ep = await seedEndpoint(sql, { merchantId, url: rx.url, pool });
  secret = ep.secret;
  dispatcher = startDispatcher({ WEBHOOK_POOL: pool, PAYORCH_DEV_MODE: "1", WEBHOOK_RETRY_SCHEDULE: "1s,2s,3s", WEBHOOK_GIVE_UP_AFTER: "10m" });
  const metricsPort = await ready(dispatcher);

  const events: string[] = [];
  for (let p = 0; p < 6; p++) {
    const pay = newPaymentId();
    events.push(await writeEvent(sql, merchantId, pay, "payment.authorized"));
    events.push(await writeEvent(sql, merchantId, pay, "payment.captured"));
  }

  // Three tiers used means a fourth attempt: wait until every event's current head has failed 4 times.
  await eventually(
    "four failed attempts of each payment's first event",
    async () => {
      const firsts = events.filter((_, i) => i % 2 === 0);
      return firsts.every((id) => rx.attemptsOf(id).length >= 4);
    },
    60_000,
  );
  // Nothing of a payment's second event went out while its first kept failing.
  expect(events.filter((_, i) => i % 2 === 1).map((id) => rx.attemptsOf(id).length)).toEqual(Array(6).fill(0));
  rx.setRespond(() => 200);

  await eventually(
    "every event delivered",
    async () => (await deliveries(sql, events)).filter((d) => d.state === "delivered").length === events.length || undefined,
    60_000,
  );

  expect(rx.acceptedEventIds()).toEqual(new Set(events));
  expect(rx.badRequests()).toEqual([]);
  const log = await attemptLog(sql, events);
  for (const id of events) {
    const seen = rx.attemptsOf(id).map((r) => r.status);
    const logged = log.filter((a) => a.event_id === id);
    // Every request the receiver saw is in the log, in order, with its status and a duration.
    expect({ id, logged: logged.map((a) => a.status_code) }).toEqual({ id, logged: seen });
    expect(logged.at(-1)!.outcome).toBe("delivered");
    expect(logged.slice(0, -1).every((a) => a.outcome === "failed" && a.error === "HTTP 500" && a.duration_ms !== null)).toBe(true);
  }
  expect(log.filter((a) => a.status_code === 500).length).toBeGreaterThanOrEqual(24);

  const byOutcome = await metric(metricsPort, "webhook_deliveries_total");
  expect(sample(byOutcome, { outcome: "delivered" })).toBe(events.length);
  expect(sample(byOutcome, { outcome: "failed" })).toBe(log.filter((a) => a.outcome === "failed").length);
  expect((await metric(metricsPort, "webhook_delivery_seconds_count")).length).toBeGreaterThan(0);
}, 180_000);
