/**
 * Capture and cancel through the API: what each payment state allows (every refusal with
 * its precise code), the strict edges, idempotency (replay byte for byte, 422 on another
 * body, nothing stored on a refusal), and the command each accepted request leaves for the
 * command worker: one payment_commands row and one PaymentCommand on payments.commands.
 * No worker runs on the tests' database, so states are set with SQL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkEvent, PaymentCommand } from "../../shared/events.ts";
import { Topics } from "../../shared/topics.ts";
import { eventually } from "../setup/wait.ts";
import { createHarness, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

type State = "PENDING" | "AUTHORIZED" | "APPROVED" | "DENIED" | "CANCELED";

/** A payment of 1999 in `state`; manual unless asked otherwise. */
async function payment(state: State, o: { method?: "manual" | "automatic"; key?: string } = {}): Promise<string> {
  const res = await h.create({ ...validBody(), capture_method: o.method ?? "manual" }, o.key ? { key: o.key } : {});
  expect(res.status).toBe(201);
  const id: string = res.json.id;
  if (state === "APPROVED")
    await h.primary`UPDATE payments SET status = 'APPROVED', amount_captured = amount, decided_at = now(), updated_at = now() WHERE id = ${id}`;
  else if (state === "DENIED")
    await h.primary`UPDATE payments SET status = 'DENIED', decline_code = 'card_declined', decided_at = now(), updated_at = now() WHERE id = ${id}`;
  else if (state !== "PENDING") await h.primary`UPDATE payments SET status = ${state}, decided_at = now(), updated_at = now() WHERE id = ${id}`;
  return id;
}

const capture = (id: string, body?: unknown, o: { idem?: string | null; key?: string } = {}) =>
  h.call("POST", `/v1/payments/${id}/capture`, { ...(body === undefined ? {} : { body }), ...o });
const cancel = (id: string, body?: unknown, o: { idem?: string | null; key?: string } = {}) =>
  h.call("POST", `/v1/payments/${id}/cancel`, { ...(body === undefined ? {} : { body }), ...o });

const commandRows = (id: string) =>
  h.primary<
    { id: string; kind: string; amount: number | null; state: string }[]
  >`SELECT id, kind, amount, state FROM payment_commands WHERE payment_id = ${id} ORDER BY created_at`.then((rows) => [...rows]);
const commandRecords = async (id: string) => {
  const rows = await h.primary<{ payload: unknown; headers: Record<string, string> }[]>`
    SELECT payload, headers FROM outbox WHERE key = ${id} AND topic = ${Topics.paymentsCommands} ORDER BY id`;
  return rows.map((r) => ({ command: checkEvent(PaymentCommand, r.payload), headers: r.headers }));
};

describe("capture", () => {
  test("of an AUTHORIZED payment: 202 with pending_command; one command row and one PaymentCommand record", async () => {
    const id = await payment("AUTHORIZED");
    const res = await capture(id, undefined, { idem: "cap-1" });
    expect(res.status).toBe(202);
    const [cmd] = await commandRows(id);
    expect(res.json).toMatchObject({
      id,
      status: "AUTHORIZED",
      amount_capturable: 0,
      amount_captured: 0,
      pending_command: { id: cmd!.id, kind: "capture", amount: 1999 },
    });
    expect(await commandRows(id)).toEqual([{ id: cmd!.id, kind: "capture", amount: 1999, state: "pending" }]);
    const records = await commandRecords(id);
    expect(records.length).toBe(1);
    expect(records[0]!.command).toMatchObject({ v: 1, commandId: cmd!.id, kind: "capture", paymentId: id, merchantId: h.merchantA.merchantId, amount: 1999 });
    expect(records[0]!.headers["x-correlation-id"]).toBe(res.headers.get("x-request-id")!);
    // GET shows the same (the replica may trail; a read by id then asks the primary only on a miss).
    await eventually(
      "GET to show the pending capture",
      async () => (await h.call("GET", `/v1/payments/${id}`)).json.pending_command?.id === cmd!.id,
      5_000,
      20,
    );
  });

  test("before it is captured the payment shows what may be captured", async () => {
    const id = await payment("AUTHORIZED");
    await eventually(
      "GET to show AUTHORIZED",
      async () => {
        const p = (await h.call("GET", `/v1/payments/${id}`)).json;
        return p.status === "AUTHORIZED" && p.amount_capturable === 1999 && p.amount_captured === 0 && p.pending_command === null;
      },
      5_000,
      20,
    );
  });

  test("a partial capture asks for that amount; the record carries it", async () => {
    const id = await payment("AUTHORIZED");
    const res = await capture(id, { amount: 1500 });
    expect(res.status).toBe(202);
    expect(res.json.pending_command).toMatchObject({ kind: "capture", amount: 1500 });
    expect((await commandRecords(id)).map((r) => r.command.amount)).toEqual([1500]);
  });

  test("more than authorized: 400 amount_too_large naming amount, nothing stored under the key", async () => {
    const id = await payment("AUTHORIZED");
    const k = `cap-${crypto.randomUUID()}`;
    const res = await capture(id, { amount: 2000 }, { idem: k });
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual({ type: "invalid_request_error", code: "amount_too_large", message: expect.any(String), param: "amount" });
    expect(await commandRows(id)).toEqual([]);
    expect(await commandRecords(id)).toEqual([]);
    // The key is free: a request that fits may use it.
    const ok = await capture(id, { amount: 1999 }, { idem: k });
    expect(ok.status).toBe(202);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });

  test("twice: the second is 409 command_in_progress and writes nothing", async () => {
    const id = await payment("AUTHORIZED");
    expect((await capture(id)).status).toBe(202);
    const again = await capture(id);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ type: "invalid_request_error", code: "command_in_progress" });
    const cancelToo = await cancel(id);
    expect(cancelToo.status).toBe(409);
    expect(cancelToo.json.error.code).toBe("command_in_progress");
    expect((await commandRows(id)).length).toBe(1);
    expect((await commandRecords(id)).length).toBe(1);
  });

  test("concurrent captures and cancels with different keys: one is accepted, the others 409 command_in_progress", async () => {
    const id = await payment("AUTHORIZED");
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? capture(id) : cancel(id))));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    expect(results.filter((r) => r.status === 409).every((r) => r.json.error.code === "command_in_progress")).toBe(true);
    expect((await commandRows(id)).length).toBe(1);
    expect((await commandRecords(id)).length).toBe(1);
  });

  test.each([
    ["PENDING", "manual", "payment_not_authorized"],
    ["APPROVED", "manual", "payment_already_captured"],
    ["CANCELED", "manual", "payment_canceled"],
    ["DENIED", "manual", "payment_denied"],
    ["PENDING", "automatic", "payment_not_manual"],
    ["APPROVED", "automatic", "payment_not_manual"],
  ] as const)("of a %s %s payment: 409 %s, nothing written", async (state, method, code) => {
    const id = await payment(state, { method });
    for (const send of [capture, cancel]) {
      const res = await send(id);
      expect({ status: res.status, error: res.json.error }).toEqual({
        status: 409,
        error: { type: "invalid_request_error", code, message: expect.any(String) },
      });
    }
    expect(await commandRows(id)).toEqual([]);
    expect(await commandRecords(id)).toEqual([]);
  });

  test("strict edges: unknown fields, non-integer or out-of-range amounts are 400s naming the field", async () => {
    const id = await payment("AUTHORIZED");
    for (const [body, param] of [
      [{ amount: 0 }, "amount"],
      [{ amount: -5 }, "amount"],
      [{ amount: 10.5 }, "amount"],
      [{ amount: "100" }, "amount"],
      [{ amount: 100_000_000 }, "amount"],
      [{ amount_to_capture: 5 }, "amount_to_capture"],
      [[], "(body)"],
    ] as const) {
      const res = await capture(id, body);
      expect({ body, status: res.status, param: res.json.error?.param }).toEqual({ body, status: 400, param });
    }
    const unknown = await cancel(id, { reason: "x" });
    expect({ status: unknown.status, param: unknown.json.error.param }).toEqual({ status: 400, param: "reason" });
    expect(await commandRows(id)).toEqual([]);
  });

  test("the body follows the JSON rules; an empty one is {}", async () => {
    const id = await payment("AUTHORIZED");
    const path = `/v1/payments/${id}/capture`;
    const text = await h.call("POST", path, { raw: "amount=5", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(text.status).toBe(415);
    const untyped = await h.call("POST", path, { raw: '{"amount":5}' });
    expect(untyped.status).toBe(415);
    const broken = await h.call("POST", path, { raw: "{", headers: { "content-type": "application/json" } });
    expect(broken.status).toBe(400);
    const card = await h.call("POST", path, { body: { amount: 5, note: "4242 4242 4242 4242" } });
    expect(card.status).toBe(400);
    expect(card.json.error.code).toBe("card_data_not_allowed");
    expect(card.text).not.toContain("4242");
    const big = await h.call("POST", path, { raw: JSON.stringify({ x: "y".repeat(17 * 1024) }), headers: { "content-type": "application/json" } });
    expect(big.status).toBe(413);
    expect(await commandRows(id)).toEqual([]);
    // No body at all, and Content-Length 0 with a JSON type, are both {}: the same request.
    const k = `empty-${crypto.randomUUID()}`;
    const none = await h.call("POST", path, { idem: k });
    expect(none.status).toBe(202);
    const zero = await h.call("POST", path, { idem: k, raw: "", headers: { "content-type": "application/json" } });
    expect(zero.status).toBe(202);
    expect(zero.headers.get("idempotent-replayed")).toBe("true");
    const braces = await h.call("POST", path, { idem: k, body: {} });
    expect(braces.headers.get("idempotent-replayed")).toBe("true");
    expect(braces.text).toBe(none.text);
  });
});

describe("cancel", () => {
  test("of an AUTHORIZED payment: 202 with pending_command cancel; one command and one record", async () => {
    const id = await payment("AUTHORIZED");
    const res = await cancel(id, {});
    expect(res.status).toBe(202);
    const [cmd] = await commandRows(id);
    expect(cmd).toMatchObject({ kind: "cancel", amount: null, state: "pending" });
    expect(res.json).toMatchObject({ status: "AUTHORIZED", amount_capturable: 0, pending_command: { id: cmd!.id, kind: "cancel", amount: null } });
    const records = await commandRecords(id);
    expect(records.map((r) => r.command)).toEqual([
      { v: 1, commandId: cmd!.id, kind: "cancel", paymentId: id, merchantId: h.merchantA.merchantId, requestedAt: expect.any(String) },
    ]);
    // Then a capture is refused: the cancel is in flight.
    expect((await capture(id)).json.error.code).toBe("command_in_progress");
  });

  test("an empty body without a Content-Type is accepted", async () => {
    const id = await payment("AUTHORIZED");
    const res = await h.call("POST", `/v1/payments/${id}/cancel`, { headers: { "content-length": "0" } });
    expect(res.status).toBe(202);
  });
});

describe("idempotency", () => {
  test("a capture replayed with its key: the same status and bytes, Idempotent-Replayed, nothing new written", async () => {
    const id = await payment("AUTHORIZED");
    const k = `cap-${crypto.randomUUID()}`;
    const first = await capture(id, { amount: 1000 }, { idem: k });
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    // The payment moves on meanwhile; the replay is still the first answer.
    await h.primary`UPDATE payments SET status = 'APPROVED', amount_captured = 1000, updated_at = now() WHERE id = ${id}`;
    await h.primary`UPDATE payment_commands SET state = 'succeeded', completed_at = now() WHERE payment_id = ${id}`;
    const again = await capture(id, { amount: 1000 }, { idem: k });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    expect((await commandRows(id)).length).toBe(1);
    expect((await commandRecords(id)).length).toBe(1);
    const stored = await h.primary`SELECT payment_id, response_status FROM idempotency_keys WHERE merchant_id = ${h.merchantA.merchantId} AND key = ${k}`;
    expect([...stored]).toEqual([{ payment_id: id, response_status: 202 }]);
  });

  test("the same key with another body, another payment or another command: 422", async () => {
    const id = await payment("AUTHORIZED");
    const other = await payment("AUTHORIZED");
    const k = `cap-${crypto.randomUUID()}`;
    expect((await capture(id, { amount: 1000 }, { idem: k })).status).toBe(202);
    for (const res of [
      await capture(id, { amount: 999 }, { idem: k }),
      await capture(other, { amount: 1000 }, { idem: k }),
      await cancel(id, {}, { idem: k }),
      await h.create(validBody(), { idem: k }),
    ]) {
      expect(res.status).toBe(422);
      expect(res.json.error).toMatchObject({ type: "idempotency_error", code: "idempotency_key_reused" });
    }
    expect(await commandRows(other)).toEqual([]);
  });

  test("a key whose request is in flight: 409 idempotency_key_in_use", async () => {
    const id = await payment("AUTHORIZED");
    const k = `cap-${crypto.randomUUID()}`;
    // Hold the payment's row lock, so the first capture waits inside its transaction with the key's lock held.
    const holder = h.primary.reserve();
    const conn = await holder;
    try {
      await conn`BEGIN`;
      await conn`SELECT 1 FROM payments WHERE id = ${id} FOR UPDATE`;
      const first = capture(id, undefined, { idem: k });
      await eventually(
        "the first capture to wait on the row lock",
        async () => {
          const rows = await h.primary`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
          return rows.length > 0;
        },
        5_000,
        10,
      );
      const second = await capture(id, undefined, { idem: k });
      expect(second.status).toBe(409);
      expect(second.json.error.code).toBe("idempotency_key_in_use");
      await conn`ROLLBACK`;
      expect((await first).status).toBe(202);
    } finally {
      conn.release();
    }
  });

  test("the key is required and checked as for a create", async () => {
    const id = await payment("AUTHORIZED");
    const missing = await capture(id, undefined, { idem: null });
    expect({ status: missing.status, param: missing.json.error.param }).toEqual({ status: 400, param: "Idempotency-Key" });
    const card = await capture(id, undefined, { idem: "4242424242424242" });
    expect({ status: card.status, code: card.json.error.code }).toEqual({ status: 400, code: "card_data_not_allowed" });
    expect(await commandRows(id)).toEqual([]);
  });
});

describe("whose payment", () => {
  test("another merchant's payment, an unknown id and a malformed one: 404 without echo", async () => {
    const theirs = await payment("AUTHORIZED", { key: h.merchantB.apiKey });
    for (const id of [theirs, "pay_0123456789abcdef0123456789abcdef", "4242424242424242", "pay_<script>"]) {
      for (const send of [capture, cancel]) {
        const res = await send(encodeURIComponent(id));
        expect({ id, status: res.status, code: res.json.error.code }).toEqual({ id, status: 404, code: "resource_missing" });
        expect(res.text).not.toContain(id);
      }
    }
    expect(await commandRows(theirs)).toEqual([]);
    // Its owner can.
    expect((await capture(theirs, undefined, { key: h.merchantB.apiKey })).status).toBe(202);
  });
});

test("an accepted command wakes the relay: NOTIFY outbox naming payments.commands", async () => {
  const id = await payment("AUTHORIZED");
  const got: string[] = [];
  const listener = await h.primary.listen("outbox", (p) => void got.push(p));
  try {
    expect((await capture(id)).status).toBe(202);
    await eventually(`a NOTIFY naming ${Topics.paymentsCommands}`, () => got.includes(Topics.paymentsCommands), 2_000, 20);
  } finally {
    await listener.unlisten();
  }
});

test("the OpenAPI document lists the lifecycle's operations", async () => {
  const doc = (await h.call("GET", "/docs/openapi.json", { key: null })).json as { paths: Record<string, Record<string, unknown>> };
  const ops = Object.entries(doc.paths).flatMap(([path, o]) => Object.keys(o).map((m) => `${m.toUpperCase()} ${path}`));
  expect(ops).toEqual(
    expect.arrayContaining(["POST /v1/payments/{id}/capture", "POST /v1/payments/{id}/cancel", "POST /v1/refunds", "GET /v1/refunds", "GET /v1/refunds/{id}"]),
  );
});
