/**
 * The whole path on the running stack, as a merchant sees it: an endpoint created through
 * Caddy (HTTPS, verified against the stack's CA), an event written by recordEvent in the main
 * database, published by the stack's relay, delivered by the stack's webhook dispatcher (dev
 * mode, loopback only) to a local receiver, signed; then the same event, its delivery log and
 * a resend through Caddy. Needs the stack started with this code (api-1/2 and
 * webhook-dispatcher).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createMerchant } from "../../api/merchants/repo.ts";
import type { Sql } from "../../shared/db/client.ts";
import { publicFetch } from "../setup/endpoints.ts";
import { startReceiver, type Receiver } from "./receiver.ts";
import { eventually, newPaymentId, openDb, writeEvent } from "./tools.ts";

let sql: Sql;
let rx: Receiver;
let secret = "";

beforeAll(async () => {
  sql = await openDb();
  rx = await startReceiver({ secrets: () => [secret] });
});
afterAll(async () => {
  rx.stop();
  await sql.end({ timeout: 5 });
}, 60_000); // a graceful stop of a dispatcher may take its drain time

test("endpoint through Caddy, event through the relay and the stack's dispatcher, log and resend through Caddy", async () => {
  const merchant = await createMerchant(sql, "Stack Webhooks");
  const call = (method: string, path: string, body?: unknown) =>
    publicFetch(path, {
      method,
      headers: { authorization: `Bearer ${merchant.apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const created = await call("POST", "/v1/webhook_endpoints", { url: rx.url, enabled_events: ["*"] });
  expect(created.status).toBe(201);
  const endpoint = (await created.json()) as { id: string; secret: string };
  secret = endpoint.secret;

  const pay = newPaymentId();
  const eventId = await writeEvent(sql, merchant.merchantId, pay, "payment.approved");
  const delivered = await eventually("the webhook at the receiver", () => rx.firstAccepted(eventId), 60_000);
  expect(delivered.verified).toBe(true);
  expect(delivered.headerEventId).toBe(eventId);

  const got = await call("GET", `/v1/events/${eventId}`);
  expect(got.status).toBe(200);
  expect(await got.text()).toBe(delivered.body);
  const list = (await (await call("GET", "/v1/events?limit=5")).json()) as { data: { id: string }[] };
  expect(list.data.map((e) => e.id)).toContain(eventId);

  const log = await eventually(
    "the delivery log says delivered",
    async () => {
      const body = (await (await call("GET", `/v1/events/${eventId}/deliveries`)).json()) as {
        data: { webhook_endpoint: string; status: string; attempts: { status_code: number }[] }[];
      };
      return body.data[0]?.status === "delivered" ? body.data[0] : undefined;
    },
    30_000,
  );
  expect(log.webhook_endpoint).toBe(endpoint.id);
  expect(log.attempts.map((a) => a.status_code)).toEqual([200]);

  const resent = await call("POST", `/v1/events/${eventId}/resend`);
  expect(resent.status).toBe(202);
  await eventually("the resent webhook", () => (rx.accepted().filter((r) => r.eventId === eventId).length >= 2 ? true : undefined), 60_000);
  expect(rx.badRequests()).toEqual([]);

  expect((await call("DELETE", `/v1/webhook_endpoints/${endpoint.id}`)).status).toBe(200);
}, 120_000);
