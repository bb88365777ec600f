/**
 * Creating a payment with the lifecycle's fields: capture_method (automatic by default,
 * or manual) and capture_before (manual only, in the future, within the capture window,
 * which is also its default). The create answers with the resource exactly as GET shows
 * it, and the PaymentCreated event says how the payment is captured.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadApiConfig } from "../../api/config.ts";
import { ConfigError } from "../../shared/config.ts";
import { checkEvent, PaymentCreated } from "../../shared/events.ts";
import { Topics } from "../../shared/topics.ts";
import { eventually } from "../setup/wait.ts";
import { createHarness, validBody, type Harness } from "./harness.ts";

const WINDOW_HOURS = 48;
const HOUR = 3_600_000;

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ config: { captureWindowHours: WINDOW_HOURS } });
});
afterAll(() => h.close());

const createdEvent = async (id: string) => {
  const rows = await h.primary<{ payload: unknown }[]>`SELECT payload FROM outbox WHERE key = ${id} AND topic = ${Topics.paymentsCreated}`;
  expect(rows.length).toBe(1);
  return checkEvent(PaymentCreated, rows[0]!.payload);
};

describe("capture_method", () => {
  test("automatic by default: no capture_before, nothing capturable yet, and the event says automatic", async () => {
    const res = await h.create();
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      status: "PENDING",
      capture_method: "automatic",
      capture_before: null,
      amount_capturable: 0,
      amount_captured: 0,
      amount_refunded: 0,
      refunds: [],
      pending_command: null,
    });
    expect((await createdEvent(res.json.id)).captureMethod).toBe("automatic");
    const stored = await h.primary`SELECT capture_method, capture_before FROM payments WHERE id = ${res.json.id}`;
    expect(stored[0]).toEqual({ capture_method: "automatic", capture_before: null });
  });

  test("manual: capture_before defaults to the end of the configured window", async () => {
    const before = Date.now();
    const res = await h.create({ ...validBody(), capture_method: "manual" });
    const after = Date.now();
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ status: "PENDING", capture_method: "manual", amount_capturable: 0 });
    const deadline = Date.parse(res.json.capture_before);
    expect(deadline).toBeGreaterThanOrEqual(before + WINDOW_HOURS * HOUR);
    expect(deadline).toBeLessThanOrEqual(after + WINDOW_HOURS * HOUR);
    expect((await createdEvent(res.json.id)).captureMethod).toBe("manual");
    const stored = await h.primary<{ capture_before: Date }[]>`SELECT capture_before FROM payments WHERE id = ${res.json.id}`;
    expect(stored[0]!.capture_before.toISOString()).toBe(res.json.capture_before);
  });

  test("manual with capture_before: an offset is accepted and stored as the same instant", async () => {
    const at = new Date(Date.now() + 5 * HOUR);
    at.setUTCMilliseconds(123);
    // The same instant written at +02:00, with digits below the millisecond.
    const local = new Date(at.getTime() + 2 * HOUR).toISOString().replace("Z", "456+02:00");
    const res = await h.create({ ...validBody(), capture_method: "manual", capture_before: local });
    expect(res.status).toBe(201);
    expect(res.json.capture_before).toBe(at.toISOString());
  });

  test("the create's body is exactly what GET shows", async () => {
    for (const extra of [{}, { capture_method: "manual" }, { capture_method: "automatic" }]) {
      const created = await h.create({ ...validBody(), ...extra });
      expect(created.status).toBe(201);
      const got = await h.call("GET", `/v1/payments/${created.json.id}`);
      expect(got.status).toBe(200);
      expect(got.text).toBe(created.text);
    }
  });

  test("an unknown capture_method is a 400 naming it", async () => {
    for (const capture_method of ["Manual", "later", "", 1, null]) {
      const res = await h.create({ ...validBody(), capture_method });
      expect({ capture_method, status: res.status, param: res.json.error?.param }).toEqual({ capture_method, status: 400, param: "capture_method" });
    }
  });
});

describe("capture_before", () => {
  const future = (ms: number) => new Date(Date.now() + ms).toISOString();

  test("without capture_method manual it is a 400 naming capture_before", async () => {
    for (const extra of [{}, { capture_method: "automatic" }]) {
      const res = await h.create({ ...validBody(), ...extra, capture_before: future(HOUR) });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: "invalid_request_error", code: "parameter_invalid", param: "capture_before" });
    }
  });

  test("in the past, now, or beyond the window: 400 naming capture_before, nothing stored", async () => {
    const k = `cb-${crypto.randomUUID()}`;
    for (const at of [future(-HOUR), future(0), future(WINDOW_HOURS * HOUR + 60_000), "2999-01-01T00:00:00Z"]) {
      const res = await h.create({ ...validBody(), capture_method: "manual", capture_before: at }, { idem: k });
      expect({ at, status: res.status, param: res.json.error?.param }).toEqual({ at, status: 400, param: "capture_before" });
      expect(res.text).not.toContain(at);
    }
    const ok = await h.create({ ...validBody(), capture_method: "manual", capture_before: future(WINDOW_HOURS * HOUR - 60_000) }, { idem: k });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });

  test("anything that is not a real RFC 3339 instant is a 400 naming capture_before, never echoed", async () => {
    const year = new Date().getUTCFullYear() + 1;
    for (const at of [
      `${year}-02-30T00:00:00Z`,
      `${year}-13-01T00:00:00Z`,
      `${year}-01-01T24:00:00Z`,
      `${year}-01-01T00:00:60Z`,
      `${year}-01-01T00:00:00+25:00`,
      `${year}-01-01`,
      `${year}-01-01T00:00:00`,
      "tomorrow",
      "",
      1_900_000_000,
    ]) {
      const res = await h.create({ ...validBody(), capture_method: "manual", capture_before: at });
      expect({ at, status: res.status, param: res.json.error?.param }).toEqual({ at, status: 400, param: "capture_before" });
      if (typeof at === "string" && at !== "") expect(res.text).not.toContain(at);
    }
  });
});

describe("lists and filters", () => {
  test("the status filter takes the five statuses, and nothing else", async () => {
    const m = await h.create({ ...validBody(), capture_method: "manual" });
    await h.primary`UPDATE payments SET status = 'AUTHORIZED', decided_at = now(), updated_at = now() WHERE id = ${m.json.id}`;
    const c = await h.create({ ...validBody(), capture_method: "manual" });
    await h.primary`UPDATE payments SET status = 'CANCELED', decided_at = now(), updated_at = now() WHERE id = ${c.json.id}`;
    await eventually(
      "the replica to show both",
      async () => {
        const rows = await h.replica`SELECT status FROM payments WHERE id IN (${m.json.id}, ${c.json.id}) ORDER BY id`;
        return rows.map((r) => r.status).join() === "AUTHORIZED,CANCELED";
      },
      5_000,
      20,
    );
    for (const [status, id] of [
      ["AUTHORIZED", m.json.id],
      ["CANCELED", c.json.id],
    ]) {
      const res = await h.call("GET", `/v1/payments?status=${status}&limit=100`);
      expect(res.status).toBe(200);
      expect(res.json.data.every((p: { status: string }) => p.status === status)).toBe(true);
      expect(res.json.data.map((p: { id: string }) => p.id)).toContain(id);
    }
    for (const status of ["PENDING", "APPROVED", "DENIED"]) expect((await h.call("GET", `/v1/payments?status=${status}`)).status).toBe(200);
    const bad = await h.call("GET", "/v1/payments?status=CAPTURED");
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe("status");
  });
});

test("CAPTURE_WINDOW_HOURS: 168 (seven days) by default, 1 to 168, a bad value stops start-up naming it", () => {
  expect(loadApiConfig({}).captureWindowHours).toBe(168);
  expect(loadApiConfig({ CAPTURE_WINDOW_HOURS: "24" }).captureWindowHours).toBe(24);
  for (const bad of ["0", "169", "7d", "1.5"]) {
    expect(() => loadApiConfig({ CAPTURE_WINDOW_HOURS: bad })).toThrow(ConfigError);
    expect(() => loadApiConfig({ CAPTURE_WINDOW_HOURS: bad })).toThrow(/CAPTURE_WINDOW_HOURS/);
  }
});
