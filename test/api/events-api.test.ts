/**
 * GET /v1/events, /v1/events/{id}, its delivery log and resend, on the API's test database.
 * Events are written with recordEvent (as the state transitions write them); deliveries and
 * attempts with the dispatcher's own store, on an endpoint pool no dispatcher serves.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMerchant } from "../../api/merchants/repo.ts";
import { InvalidEventError } from "../../shared/events.ts";
import { recordEvent } from "../../shared/merchant-events/record.ts";
import { Topics } from "../../shared/topics.ts";
import { dispatcherStore } from "../../streams/webhook-dispatcher/store.ts";
import { createHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ config: { devMode: true } });
});
afterAll(() => h.close());

const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");
const paymentId = () => `pay_${hex(16)}`;
const payment = (id: string, status = "APPROVED") => ({ id, object: "payment", status, amount: 1999, currency: "USD", metadata: { order: "1001" } });

async function record(merchantId: string, type: "payment.approved" | "payment.denied" | "payment.captured", pay = paymentId()) {
  const id = await recordEvent(h.primary, { merchantId, paymentId: pay, type, object: payment(pay, type === "payment.denied" ? "DENIED" : "APPROVED") });
  return { id, pay };
}

describe("recordEvent", () => {
  test("writes the event and its outbox record in one statement, keyed by payment", async () => {
    const { id, pay } = await record(h.merchantA.merchantId, "payment.approved");
    const [ev] = await h.primary`SELECT merchant_id, type, payment_id, api_version, body FROM events WHERE id = ${id}`;
    expect(ev).toMatchObject({ merchant_id: h.merchantA.merchantId, type: "payment.approved", payment_id: pay });
    expect(JSON.parse(ev!.body)).toEqual({
      id,
      object: "event",
      type: "payment.approved",
      api_version: ev!.api_version,
      created: expect.any(Number),
      data: { object: payment(pay) },
    });
    const [out] = await h.primary`SELECT topic, key, payload FROM outbox WHERE payload->>'eventId' = ${id}`;
    expect(out).toMatchObject({ topic: Topics.merchantEvents, key: pay });
    expect(out!.payload).toMatchObject({
      v: 1,
      eventId: id,
      merchantId: h.merchantA.merchantId,
      paymentId: pay,
      type: "payment.approved",
      event: JSON.parse(ev!.body),
    });
  });

  test("ids are evt_ + a UUIDv7 and sort in the order they were made", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await record(h.merchantA.merchantId, "payment.approved")).id);
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect([...ids].sort()).toEqual(ids);
  });

  test("inside a transaction that rolls back, neither row exists", async () => {
    let id = "";
    await h.primary
      .begin(async (tx) => {
        id = await recordEvent(tx, { merchantId: h.merchantA.merchantId, paymentId: paymentId(), type: "payment.denied", object: payment("pay_x") });
        throw new Error("the transition failed");
      })
      .catch(() => {});
    expect(id).toMatch(/^evt_/);
    expect((await h.primary`SELECT 1 FROM events WHERE id = ${id}`).length).toBe(0);
    expect((await h.primary`SELECT 1 FROM outbox WHERE payload->>'eventId' = ${id}`).length).toBe(0);
  });

  test("refuses what the catalogue does not know, before writing anything", async () => {
    const bad = (over: Record<string, unknown>) =>
      recordEvent(h.primary, {
        merchantId: h.merchantA.merchantId,
        paymentId: paymentId(),
        type: "payment.approved",
        object: payment("pay_y"),
        ...over,
      } as never);
    await expect(bad({ type: "payment.exploded" })).rejects.toThrow(InvalidEventError);
    await expect(bad({ paymentId: "not-a-payment" })).rejects.toThrow(InvalidEventError);
    await expect(bad({ object: { status: "APPROVED" } })).rejects.toThrow(InvalidEventError);
  });
});

describe("GET /v1/events", () => {
  test("newest first, paged with starting_after, filtered by type, only the merchant's own", async () => {
    const m = h.merchantB.merchantId;
    const made: { id: string; type: string }[] = [];
    for (let i = 0; i < 7; i++) {
      const type = i % 3 === 0 ? "payment.denied" : "payment.approved";
      made.push({ id: (await record(m, type)).id, type });
    }
    const key = h.merchantB.apiKey;
    const newest = [...made].reverse().map((e) => e.id);
    const p1 = await h.call("GET", "/v1/events?limit=3", { key });
    expect(p1.status).toBe(200);
    expect(p1.json.object).toBe("list");
    expect(p1.json.data.map((e: { id: string }) => e.id)).toEqual(newest.slice(0, 3));
    expect(p1.json.has_more).toBe(true);
    const p2 = await h.call("GET", `/v1/events?limit=100&starting_after=${newest[2]}`, { key });
    expect(p2.json.data.map((e: { id: string }) => e.id)).toEqual(newest.slice(3));
    expect(p2.json.has_more).toBe(false);
    const denied = await h.call("GET", "/v1/events?type=payment.denied&limit=100", { key });
    expect(denied.json.data.map((e: { id: string }) => e.id)).toEqual(
      made
        .filter((e) => e.type === "payment.denied")
        .reverse()
        .map((e) => e.id),
    );
    const mine = await h.call("GET", "/v1/events?limit=100");
    expect(mine.json.data.map((e: { id: string }) => e.id)).not.toContain(made[0]!.id);
  });

  test("a bad query names its field", async () => {
    for (const [q, param] of [
      ["type=payment.exploded", "type"],
      ["limit=0", "limit"],
      ["starting_after=pay_1", "starting_after"],
      ["colour=red", "colour"],
    ] as const) {
      const res = await h.call("GET", `/v1/events?${q}`);
      expect({ q, status: res.status, param: res.json.error?.param }).toEqual({ q, status: 400, param });
    }
  });
});

describe("GET /v1/events/{id}", () => {
  test("returns the stored bytes exactly: what webhooks sign", async () => {
    const { id } = await record(h.merchantA.merchantId, "payment.captured");
    const res = await h.call("GET", `/v1/events/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const [row] = await h.primary`SELECT body FROM events WHERE id = ${id}`;
    expect(res.text).toBe(row!.body);
  });

  test("another merchant's event, an unknown id and a malformed one are 404", async () => {
    const { id } = await record(h.merchantA.merchantId, "payment.approved");
    for (const [path, key] of [
      [`/v1/events/${id}`, h.merchantB.apiKey],
      [`/v1/events/evt_${"0".repeat(32)}`, undefined],
      ["/v1/events/evt_x", undefined],
    ] as const) {
      const res = await h.call("GET", path, key ? { key } : {});
      expect({ path, status: res.status, code: res.json.error.code }).toEqual({ path, status: 404, code: "resource_missing" });
    }
  });
});

describe("delivery log and resend", () => {
  const pool = `api-test-${hex(4)}`;
  const store = () =>
    dispatcherStore(h.primary, {
      pool,
      leaseMs: 30_000,
      policy: { afterFailure: ({ now }) => ({ kind: "retry", at: new Date(now.getTime() - 1) }), shouldDisable: () => false },
    });

  async function endpoint(events: string[] = ["*"], key = h.merchantA.apiKey) {
    const res = await h.call("POST", "/v1/webhook_endpoints", { key, body: { url: "http://127.0.0.1:9/hooks", enabled_events: events } });
    expect(res.status).toBe(201);
    await h.primary`UPDATE webhook_endpoints SET pool = ${pool} WHERE id = ${res.json.id}`;
    return res.json.id as string;
  }

  test("each attempt: time, status code, duration, error; then delivered", async () => {
    const ep = await endpoint();
    const { id } = await record(h.merchantA.merchantId, "payment.approved");
    const s = store();
    expect(await s.fanOut(id)).toBe(1);
    const [first] = await s.claim(10);
    expect(first!.eventId).toBe(id);
    await s.settle(first!, { outcome: "failed", statusCode: 503, durationMs: 41, error: "HTTP 503" });
    const [second] = await s.claim(10);
    await s.settle(second!, { outcome: "delivered", statusCode: 200, durationMs: 12 });

    const res = await h.call("GET", `/v1/events/${id}/deliveries`);
    expect(res.status).toBe(200);
    expect(res.json.data).toHaveLength(1);
    const d = res.json.data[0];
    expect(d).toMatchObject({
      object: "webhook_delivery",
      event: id,
      webhook_endpoint: ep,
      status: "delivered",
      attempt_count: 2,
      resends: 0,
      next_attempt_at: null,
    });
    expect(d.attempts).toEqual([
      { attempt: 1, attempted_at: expect.any(String), duration_ms: 41, status_code: 503, outcome: "failed", error: "HTTP 503" },
      { attempt: 2, attempted_at: expect.any(String), duration_ms: 12, status_code: 200, outcome: "delivered", error: null },
    ]);
    expect((await h.call("GET", `/v1/events/${id}/deliveries`, { key: h.merchantB.apiKey })).status).toBe(404);
  });

  test("resend without a body: a new round to every subscribed endpoint, after the old attempts", async () => {
    const ep = await endpoint(["payment.denied"]);
    const { id } = await record(h.merchantA.merchantId, "payment.denied");
    const s = store();
    await s.fanOut(id);
    // The earlier test's endpoint (every type) gets it too: settle every attempt of this event.
    for (const c of (await s.claim(10)).filter((x) => x.eventId === id)) await s.settle(c, { outcome: "delivered", statusCode: 204, durationMs: 3 });

    const res = await h.call("POST", `/v1/events/${id}/resend`, { idem: null });
    expect(res.status).toBe(202);
    const mine = res.json.data.find((x: { webhook_endpoint: string }) => x.webhook_endpoint === ep);
    expect(mine).toMatchObject({ status: "pending", attempt_count: 0, resends: 1 });
    expect(mine.next_attempt_at).not.toBeNull();
    const again = (await s.claim(10)).filter((x) => x.eventId === id);
    expect(again.map((x) => x.attempt)).toEqual(again.map(() => 1));
    for (const c of again) await s.settle(c, { outcome: "delivered", statusCode: 200, durationMs: 3 });
    const log = await h.call("GET", `/v1/events/${id}/deliveries`);
    expect(
      log.json.data.find((x: { webhook_endpoint: string }) => x.webhook_endpoint === ep).attempts.map((a: { status_code: number }) => a.status_code),
    ).toEqual([204, 200]);
  });

  test("resend to one named endpoint, even one that did not subscribe", async () => {
    const ep = await endpoint(["refund.succeeded"]);
    const { id } = await record(h.merchantA.merchantId, "payment.approved");
    const res = await h.call("POST", `/v1/events/${id}/resend`, { body: { webhook_endpoint: ep } });
    expect(res.status).toBe(202);
    expect(res.json.data.map((d: { webhook_endpoint: string }) => d.webhook_endpoint)).toEqual([ep]);
  });

  test("resend refusals: unknown or foreign endpoint 404, disabled 400, nobody subscribed 400, foreign event 404", async () => {
    const { id } = await record(h.merchantA.merchantId, "payment.approved");
    const foreign = await endpoint(["*"], h.merchantB.apiKey);
    const r1 = await h.call("POST", `/v1/events/${id}/resend`, { body: { webhook_endpoint: foreign } });
    expect([r1.status, r1.json.error.param]).toEqual([404, "webhook_endpoint"]);
    const off = await endpoint(["*"]);
    await h.call("PATCH", `/v1/webhook_endpoints/${off}`, { body: { enabled: false } });
    const r2 = await h.call("POST", `/v1/events/${id}/resend`, { body: { webhook_endpoint: off } });
    expect([r2.status, r2.json.error.code]).toEqual([400, "webhook_endpoint_disabled"]);
    const r3 = await h.call("POST", `/v1/events/${id}/resend`, { body: { webhook_endpoint: "we_nope" } });
    expect([r3.status, r3.json.error.param]).toEqual([400, "webhook_endpoint"]);
    const lonely = await record(h.merchantB.merchantId, "payment.captured");
    await h.call("PATCH", `/v1/webhook_endpoints/${foreign}`, { key: h.merchantB.apiKey, body: { enabled_events: ["refund.failed"] } });
    const r4 = await h.call("POST", `/v1/events/${lonely.id}/resend`, { key: h.merchantB.apiKey, body: {} });
    expect([r4.status, r4.json.error.code]).toEqual([400, "no_webhook_endpoints"]);
    const r5 = await h.call("POST", `/v1/events/${lonely.id}/resend`, { body: {} });
    expect(r5.status).toBe(404);
  });

  test("the intake skips disabled endpoints and types an endpoint does not subscribe to", async () => {
    const m = await createMerchant(h.primary, "Fan-out");
    const key = m.apiKey;
    const on = await endpoint(["payment.approved"], key);
    const off = await endpoint(["*"], key);
    await h.call("PATCH", `/v1/webhook_endpoints/${off}`, { key, body: { enabled: false } });
    const approved = await record(m.merchantId, "payment.approved");
    const denied = await record(m.merchantId, "payment.denied");
    expect(await store().fanOut(approved.id)).toBe(1);
    expect(await store().fanOut(denied.id)).toBe(0);
    const [d] = await h.primary`SELECT endpoint_id FROM webhook_deliveries WHERE event_id = ${approved.id}`;
    expect(d!.endpoint_id).toBe(on);
  });

  test("a body, when sent, must be JSON", async () => {
    const { id } = await record(h.merchantA.merchantId, "payment.approved");
    const res = await h.call("POST", `/v1/events/${id}/resend`, { raw: "webhook_endpoint=x", headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(415);
  });
});
