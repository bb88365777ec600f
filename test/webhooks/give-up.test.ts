/**
 * An endpoint that never recovers, on shortened windows (give up after 3 s, disable after
 * 4 s of failures): each event becomes a dead letter for the endpoint once its round is
 * over, the lane moves on to the payment's next event, the endpoint is disabled, and the
 * operators are told (dead letters, which the stack's DLQ consumer mails). Replaying one
 * dead letter (`bun run dlq replay`, here its store) resends that event once the merchant
 * has enabled the endpoint again.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { updateEndpoint } from "../../api/webhooks/repo.ts";
import type { Sql } from "../../shared/db/client.ts";
import { deadLetterStore } from "../../shared/dead-letters/store.ts";
import { EventRecord } from "../../shared/merchant-events/schema.ts";
import { WEBHOOK_DELIVERY_DEAD_LETTERS, WEBHOOK_ENDPOINT_DEAD_LETTERS, WebhookHeaders } from "../../shared/topics.ts";
import { checkEvent } from "../../shared/events.ts";
import { mailpit } from "../notifications/tools.ts";
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
let secret = "";

beforeAll(async () => {
  sql = await openDb();
  rx = await startReceiver({ secrets: () => [secret], respond: () => 503 });
});
afterAll(async () => {
  await kill(dispatcher, "SIGTERM");
  rx.stop();
  await sql.end({ timeout: 5 });
}, 60_000); // a graceful stop of a dispatcher may take its drain time

test("given up after the window, endpoint disabled with an alert, a replayed dead letter delivered after re-enabling", async () => {
  const pool = uniquePool("give-up");
  const merchantId = await seedMerchant(sql, "Gone Shop");
  const ep = await seedEndpoint(sql, { merchantId, url: rx.url, pool });
  secret = ep.secret;
  dispatcher = startDispatcher({
    WEBHOOK_POOL: pool,
    PAYORCH_DEV_MODE: "1",
    WEBHOOK_RETRY_SCHEDULE: "500ms",
    WEBHOOK_GIVE_UP_AFTER: "3s",
    WEBHOOK_DISABLE_AFTER: "4s",
  });
  await ready(dispatcher);

  const pay = newPaymentId();
  const authorized = await writeEvent(sql, merchantId, pay, "payment.authorized");
  const captured = await writeEvent(sql, merchantId, pay, "payment.captured");

  const [endpointRow] = await eventually(
    "the endpoint disabled for failing",
    async () => {
      const rows = await sql<
        { enabled: boolean; disabled_reason: string | null }[]
      >`SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = ${ep.id}`;
      return rows[0]!.disabled_reason === "failing" ? rows : undefined;
    },
    60_000,
  );
  expect(endpointRow!.enabled).toBe(false);

  // The first event died after its window; only then did the second one go out.
  const log = await attemptLog(sql, [authorized, captured]);
  const firstDead = (await deliveries(sql, [authorized]))[0]!;
  expect(firstDead).toMatchObject({ state: "dead", dead_reason: "expired" });
  const authorizedAttempts = rx.attemptsOf(authorized);
  const capturedAttempts = rx.attemptsOf(captured);
  expect(authorizedAttempts.length).toBeGreaterThanOrEqual(4);
  expect(capturedAttempts.length).toBeGreaterThan(0);
  expect(capturedAttempts[0]!.seq).toBeGreaterThan(authorizedAttempts.at(-1)!.seq);
  expect(authorizedAttempts.at(-1)!.receivedAt - authorizedAttempts[0]!.receivedAt).toBeGreaterThanOrEqual(3_000 - 100);
  expect(log.filter((a) => a.event_id === authorized).every((a) => a.status_code === 503)).toBe(true);

  const letters = await sql<{ id: string; topic: string; key: string; headers: Record<string, string>; payload: Buffer | null; error_message: string }[]>`
    SELECT id, topic, key, headers, payload, error_message FROM dead_letters
     WHERE (topic = ${WEBHOOK_DELIVERY_DEAD_LETTERS} AND key = ${pay}) OR (topic = ${WEBHOOK_ENDPOINT_DEAD_LETTERS} AND key = ${ep.id})
     ORDER BY id`;
  const delivery = letters.find((l) => l.topic === WEBHOOK_DELIVERY_DEAD_LETTERS && l.headers[WebhookHeaders.eventId] === authorized)!;
  expect(delivery.headers[WebhookHeaders.endpointId]).toBe(ep.id);
  expect(delivery.error_message).toContain("HTTP 503");
  // The dead letter's payload is the event's Kafka record, with its exact body inside: replayable as is.
  const record = checkEvent(EventRecord, JSON.parse(delivery.payload!.toString("utf8")));
  expect(record.eventId).toBe(authorized);
  const endpointLetter = letters.find((l) => l.topic === WEBHOOK_ENDPOINT_DEAD_LETTERS)!;
  expect(endpointLetter.error_message).toContain("every attempt has failed since");

  // The operators' mail, from the stack's DLQ consumer sweep (at most one a minute).
  const mail = mailpit();
  await eventually("the ops alert mail naming the endpoint", async () => (await mail.search(ep.id)).length > 0 || undefined, 150_000, 1_000);

  // The merchant's system is back; an operator replays the first event's dead letter.
  rx.setRespond(() => 200);
  await deadLetterStore(sql).replay(delivery.id);
  await eventually("the replayed delivery reopened", async () => ((await deliveries(sql, [authorized]))[0]!.state === "pending" ? true : undefined), 60_000);
  // Held while the endpoint is disabled; enabling it resumes the lane.
  expect(rx.acceptedEventIds().size).toBe(0);
  await sql.begin((tx) => updateEndpoint(tx, merchantId, ep.id, { enabled: true }));
  await eventually("the replayed event delivered", () => rx.firstAccepted(authorized) ?? undefined, 30_000);
  const settled = await eventually(
    "the delivery recorded as delivered",
    async () => {
      const [d] = await deliveries(sql, [authorized]);
      return d!.state === "delivered" ? d : undefined;
    },
    30_000,
  );
  expect(settled.attempts).toBe(1);
  expect(rx.badRequests()).toEqual([]);
}, 300_000);
