/**
 * Outside dev mode the dispatcher checks the destination again before each attempt, after
 * its own DNS lookup: an endpoint whose host is (or has come to resolve to) loopback gets no
 * request at all. The attempt is logged as refused, the delivery is dead, the endpoint is
 * disabled and the operators get a dead letter. The endpoints are written straight to the
 * table, as if their names had resolved to a public address when they were created; the only
 * listener is a local receiver, which must see nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Sql } from "../../shared/db/client.ts";
import { WEBHOOK_ENDPOINT_DEAD_LETTERS } from "../../shared/topics.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import {
  attemptLog,
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

beforeAll(async () => {
  sql = await openDb();
  rx = await startReceiver({ secrets: () => [] });
});
afterAll(async () => {
  await kill(dispatcher, "SIGTERM");
  rx.stop();
  await sql.end({ timeout: 5 });
}, 60_000); // a graceful stop of a dispatcher may take its drain time

test("dev mode off: loopback destinations are refused at delivery, and nothing reaches them", async () => {
  const pool = uniquePool("ssrf");
  const merchantId = await seedMerchant(sql, "Rebinding Shop");
  const urls = [
    `https://127.0.0.1:${rx.port}/hooks`,
    `https://localhost:${rx.port}/hooks`,
    `https://[::1]:${rx.port}/hooks`,
    `http://127.0.0.1:${rx.port}/hooks`,
  ];
  const eps = await Promise.all(urls.map((url) => seedEndpoint(sql, { merchantId, url, pool })));
  dispatcher = startDispatcher({ WEBHOOK_POOL: pool, PAYORCH_DEV_MODE: "0" });
  await ready(dispatcher);

  const pay = newPaymentId();
  const first = await writeEvent(sql, merchantId, pay, "payment.approved");
  await eventually(
    "every endpoint's delivery given up",
    async () => {
      const ds = await deliveries(sql, [first]);
      return ds.length === eps.length && ds.every((d) => d.state === "dead") ? ds : undefined;
    },
    60_000,
  );

  expect((await deliveries(sql, [first])).map((d) => d.dead_reason)).toEqual(eps.map(() => "destination_refused"));
  const log = await attemptLog(sql, [first]);
  expect(log.map((a) => a.outcome)).toEqual(eps.map(() => "refused"));
  for (const a of log) expect(a.error).toMatch(/^destination refused: .*loopback/);
  const endpoints = await sql<{ id: string; enabled: boolean; disabled_reason: string }[]>`
    SELECT id, enabled, disabled_reason FROM webhook_endpoints WHERE id = ANY(${eps.map((e) => e.id)}::text[])`;
  expect(endpoints.every((e) => !e.enabled && e.disabled_reason === "destination_refused")).toBe(true);
  const letters = await sql<{ key: string; error_class: string; error_message: string }[]>`
    SELECT key, error_class, error_message FROM dead_letters WHERE topic = ${WEBHOOK_ENDPOINT_DEAD_LETTERS} AND key = ANY(${eps.map((e) => e.id)}::text[])`;
  expect(letters.map((l) => l.key).sort()).toEqual(eps.map((e) => e.id).sort());
  expect(letters.every((l) => l.error_class === "WebhookEndpointDisabled" && l.error_message.includes("destination was refused"))).toBe(true);

  expect(rx.received.length).toBe(0);
}, 120_000);
