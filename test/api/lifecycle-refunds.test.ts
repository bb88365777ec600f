/**
 * Refunds through the API: what a payment's state allows, the money rule (refunds, pending
 * ones included, never exceed what was captured, even under 50 concurrent requests: the
 * reservation is made under the payment's row lock and the database's CHECK stands
 * behind it), idempotency, merchant isolation, and reading refunds back by id, in lists
 * and on their payment. No worker runs on the tests' database, so states are set with SQL.
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

/** An APPROVED payment of `amount` with `captured` captured (automatic: all of it). */
async function approved(amount: number, captured = amount, o: { key?: string } = {}): Promise<string> {
  const res = await h.create({ ...validBody(), amount, ...(captured < amount ? { capture_method: "manual" } : {}) }, o.key ? { key: o.key } : {});
  expect(res.status).toBe(201);
  await h.primary`UPDATE payments SET status = 'APPROVED', amount_captured = ${captured}, decided_at = now(), updated_at = now() WHERE id = ${res.json.id}`;
  return res.json.id;
}

const refund = (body: unknown, o: { idem?: string; key?: string } = {}) => h.call("POST", "/v1/refunds", { body, ...o });

const money = async (id: string) => {
  const [row] = await h.primary<{ amount_captured: number; amount_refund_reserved: number; amount_refunded: number }[]>`
    SELECT amount_captured, amount_refund_reserved, amount_refunded FROM payments WHERE id = ${id}`;
  return row!;
};
const refundRecords = async (id: string) => {
  const rows = await h.primary<{ payload: unknown }[]>`SELECT payload FROM outbox WHERE key = ${id} AND topic = ${Topics.paymentsCommands} ORDER BY id`;
  return rows.map((r) => checkEvent(PaymentCommand, r.payload));
};

describe("create", () => {
  test("201 with the pending refund, its Location, a reservation, and one refund command on payments.commands", async () => {
    const id = await approved(1999);
    const res = await refund({ payment_id: id, amount: 500, reason: "requested_by_customer" });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      id: expect.stringMatching(/^re_[0-9a-f]{32}$/),
      object: "refund",
      payment_id: id,
      amount: 500,
      currency: "USD",
      status: "pending",
      reason: "requested_by_customer",
      failure_reason: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      decided_at: null,
    });
    expect(res.headers.get("location")).toBe(`/v1/refunds/${res.json.id}`);
    expect(await money(id)).toEqual({ amount_captured: 1999, amount_refund_reserved: 500, amount_refunded: 0 });
    const [cmd] = await h.primary`SELECT id, kind, amount, refund_id, state FROM payment_commands WHERE payment_id = ${id}`;
    expect(cmd).toMatchObject({ kind: "refund", amount: 500, refund_id: res.json.id, state: "pending" });
    expect(await refundRecords(id)).toEqual([
      {
        v: 1,
        commandId: cmd!.id,
        kind: "refund",
        paymentId: id,
        merchantId: h.merchantA.merchantId,
        amount: 500,
        refundId: res.json.id,
        requestedAt: expect.any(String),
      },
    ]);
  });

  test("without an amount it refunds all that is left", async () => {
    const id = await approved(1999);
    expect((await refund({ payment_id: id, amount: 999 })).status).toBe(201);
    const rest = await refund({ payment_id: id });
    expect(rest.status).toBe(201);
    expect(rest.json.amount).toBe(1000);
    expect(rest.json.reason).toBeNull();
  });

  test("a partly captured payment refunds up to what was captured, not what was authorized", async () => {
    const id = await approved(1999, 1200);
    const over = await refund({ payment_id: id, amount: 1201 });
    expect(over.status).toBe(409);
    expect(over.json.error).toMatchObject({ code: "amount_too_large", param: "amount" });
    expect((await refund({ payment_id: id })).json.amount).toBe(1200);
  });

  test("repeated partial refunds reach the captured amount and not a cent more", async () => {
    const id = await approved(1000);
    for (const amount of [300, 300, 300]) expect((await refund({ payment_id: id, amount })).status).toBe(201);
    const beyond = await refund({ payment_id: id, amount: 101 });
    expect(beyond.status).toBe(409);
    expect(beyond.json.error).toMatchObject({ type: "invalid_request_error", code: "amount_too_large", param: "amount" });
    expect((await refund({ payment_id: id, amount: 100 })).status).toBe(201);
    const more = await refund({ payment_id: id, amount: 1 });
    expect(more.status).toBe(409);
    expect(more.json.error).toMatchObject({ code: "charge_already_refunded", param: "payment_id" });
    expect(await refund({ payment_id: id }).then((r) => r.json.error.code)).toBe("charge_already_refunded");
    expect(await money(id)).toEqual({ amount_captured: 1000, amount_refund_reserved: 1000, amount_refunded: 0 });
    expect((await refundRecords(id)).length).toBe(4);
  });

  test("50 concurrent refunds of 60 against 100 captured: exactly one is accepted, 60 is reserved", async () => {
    const id = await approved(100);
    const results = await Promise.all(Array.from({ length: 50 }, () => refund({ payment_id: id, amount: 60 })));
    const accepted = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    expect(accepted.length).toBe(1);
    expect(refused.length).toBe(49);
    expect(refused.every((r) => r.status === 409 && r.json.error.code === "amount_too_large" && r.json.error.param === "amount")).toBe(true);
    expect(await money(id)).toEqual({ amount_captured: 100, amount_refund_reserved: 60, amount_refunded: 0 });
    const refunds = await h.primary`SELECT amount FROM refunds WHERE payment_id = ${id}`;
    expect([...refunds]).toEqual([{ amount: 60 }]);
    expect((await refundRecords(id)).map((c) => c.refundId)).toEqual([accepted[0]!.json.id]);
  });

  test.each([
    ["PENDING", "payment_not_captured"],
    ["AUTHORIZED", "payment_not_captured"],
    ["DENIED", "payment_not_captured"],
    ["CANCELED", "payment_not_captured"],
  ] as const)("of a %s payment: 409 %s naming payment_id, nothing written", async (state, code) => {
    const res = await h.create({ ...validBody(), capture_method: "manual" });
    const id: string = res.json.id;
    if (state !== "PENDING") await h.primary`UPDATE payments SET status = ${state}, decided_at = now(), updated_at = now() WHERE id = ${id}`;
    const r = await refund({ payment_id: id, amount: 1 });
    expect({ status: r.status, error: r.json.error }).toEqual({
      status: 409,
      error: { type: "invalid_request_error", code, message: expect.any(String), param: "payment_id" },
    });
    expect((await h.primary`SELECT 1 FROM refunds WHERE payment_id = ${id}`).length).toBe(0);
    expect(await refundRecords(id)).toEqual([]);
  });

  test("strict edges: unknown fields, bad amounts, reasons and ids are 400s naming the field", async () => {
    const id = await approved(1999);
    for (const [body, param] of [
      [{ payment_id: id, amount: 0 }, "amount"],
      [{ payment_id: id, amount: 1.5 }, "amount"],
      [{ payment_id: id, amount: 100_000_000 }, "amount"],
      [{ payment_id: id, reason: "changed_mind" }, "reason"],
      [{ payment_id: id, metadata: {} }, "metadata"],
      [{ payment_id: "pay_zz", amount: 1 }, "payment_id"],
      [{ amount: 1 }, "payment_id"],
    ] as const) {
      const res = await refund(body);
      expect({ body, status: res.status, param: res.json.error?.param }).toEqual({ body, status: 400, param });
      expect(res.text).not.toContain("pay_zz");
    }
    expect(await money(id)).toMatchObject({ amount_refund_reserved: 0 });
  });
});

describe("idempotency", () => {
  test("a refund replayed with its key: the same bytes, Idempotent-Replayed, no second refund", async () => {
    const id = await approved(1999);
    const k = `re-${crypto.randomUUID()}`;
    const first = await refund({ payment_id: id, amount: 700 }, { idem: k });
    expect(first.status).toBe(201);
    // The refund moves on meanwhile; the replay is still the first answer.
    await h.primary`UPDATE refunds SET status = 'succeeded', decided_at = now(), updated_at = now() WHERE id = ${first.json.id}`;
    const again = await refund({ payment_id: id, amount: 700 }, { idem: k });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(again.text).toBe(first.text);
    expect(await money(id)).toMatchObject({ amount_refund_reserved: 700 });
    expect((await h.primary`SELECT id FROM refunds WHERE payment_id = ${id}`).length).toBe(1);
  });

  test("the same key with another body: 422, nothing new", async () => {
    const id = await approved(1999);
    const k = `re-${crypto.randomUUID()}`;
    expect((await refund({ payment_id: id, amount: 700 }, { idem: k })).status).toBe(201);
    const res = await refund({ payment_id: id, amount: 701 }, { idem: k });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe("idempotency_key_reused");
    expect(await money(id)).toMatchObject({ amount_refund_reserved: 700 });
  });

  test("a refused refund stores nothing under its key", async () => {
    const id = await approved(100);
    const k = `re-${crypto.randomUUID()}`;
    expect((await refund({ payment_id: id, amount: 101 }, { idem: k })).status).toBe(409);
    const ok = await refund({ payment_id: id, amount: 100 }, { idem: k });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("whose refund", () => {
  test("another merchant's payment: 404 naming payment_id; another merchant's refund: 404", async () => {
    const theirs = await approved(1999, 1999, { key: h.merchantB.apiKey });
    const res = await refund({ payment_id: theirs, amount: 1 });
    expect(res.json.error).toMatchObject({ code: "resource_missing", param: "payment_id" });
    expect(res.status).toBe(404);
    expect(res.text).not.toContain(theirs);
    const unknown = await refund({ payment_id: "pay_0123456789abcdef0123456789abcdef" });
    expect({ status: unknown.status, param: unknown.json.error.param }).toEqual({ status: 404, param: "payment_id" });
    expect(await money(theirs)).toMatchObject({ amount_refund_reserved: 0 });

    const theirRefund = await refund({ payment_id: theirs, amount: 5 }, { key: h.merchantB.apiKey });
    expect(theirRefund.status).toBe(201);
    const peek = await h.call("GET", `/v1/refunds/${theirRefund.json.id}`);
    expect({ status: peek.status, code: peek.json.error.code }).toEqual({ status: 404, code: "resource_missing" });
    expect((await h.call("GET", `/v1/refunds/${theirRefund.json.id}`, { key: h.merchantB.apiKey })).status).toBe(200);
    const list = await h.call("GET", `/v1/refunds?payment_id=${theirs}`);
    expect(list.json).toEqual({ object: "list", data: [], has_more: false });
  });
});

describe("reads", () => {
  test("GET a refund by id: the resource the create answered with; unknown and malformed ids 404 without echo", async () => {
    const id = await approved(1999);
    const created = await refund({ payment_id: id, amount: 10 });
    const got = await h.call("GET", `/v1/refunds/${created.json.id}`);
    expect(got.status).toBe(200);
    expect(got.text).toBe(created.text);
    for (const bad of ["re_0123456789abcdef0123456789abcdef", "4242424242424242", "re_<x>"]) {
      const res = await h.call("GET", `/v1/refunds/${encodeURIComponent(bad)}`);
      expect({ bad, status: res.status, code: res.json.error.code }).toEqual({ bad, status: 404, code: "resource_missing" });
      expect(res.text).not.toContain(bad);
    }
  });

  test("list a payment's refunds newest first, page by page", async () => {
    const id = await approved(1999);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await refund({ payment_id: id, amount: 10 + i })).json.id);
    await eventually(
      "the replica to have the refunds",
      async () => (await h.replica`SELECT count(*)::int AS n FROM refunds WHERE payment_id = ${id}`)[0]!.n === 5,
      5_000,
      20,
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const res = await h.call("GET", `/v1/refunds?payment_id=${id}&limit=2${cursor ? `&starting_after=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.json.object).toBe("list");
      seen.push(...res.json.data.map((r: { id: string }) => r.id));
      if (!res.json.has_more) break;
      cursor = res.json.data.at(-1).id;
    }
    expect(seen).toEqual([...ids].reverse());
    // All of the merchant's refunds, this payment's among them.
    const all = await h.call("GET", "/v1/refunds?limit=100");
    expect(all.json.data.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(ids));
    for (const [q, param] of [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["payment_id=pay_zz", "payment_id"],
      ["starting_after=pay_0123456789abcdef0123456789abcdef", "starting_after"],
      ["status=pending", "status"],
    ]) {
      const res = await h.call("GET", `/v1/refunds?${q}`);
      expect({ q, status: res.status, param: res.json.error?.param }).toEqual({ q, status: 400, param });
    }
  });

  test("the payment shows its refunds, newest first, and amount_refunded counts the succeeded ones", async () => {
    const id = await approved(1999);
    const a = await refund({ payment_id: id, amount: 100 });
    const b = await refund({ payment_id: id, amount: 200 });
    // As the command worker would settle the first one.
    await h.primary`UPDATE refunds SET status = 'succeeded', decided_at = now(), updated_at = now() WHERE id = ${a.json.id}`;
    await h.primary`UPDATE payments SET amount_refunded = 100, updated_at = now() WHERE id = ${id}`;
    const p = await eventually(
      "GET to show the settled refund",
      async () => {
        const r = await h.call("GET", `/v1/payments/${id}`);
        return r.json.amount_refunded === 100 ? r.json : undefined;
      },
      5_000,
      20,
    );
    expect(p).toMatchObject({ status: "APPROVED", amount_captured: 1999, amount_refunded: 100, amount_capturable: 0, pending_command: null });
    expect(p.refunds.map((r: { id: string; status: string; amount: number }) => [r.id, r.status, r.amount])).toEqual([
      [b.json.id, "pending", 200],
      [a.json.id, "succeeded", 100],
    ]);
  });
});
