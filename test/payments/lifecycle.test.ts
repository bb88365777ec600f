/**
 * The payment lifecycle end to end, through Caddy, the outbox, Kafka, the payment and
 * command workers and the simulator: hold and capture (all or part), void, the expiry of a
 * hold, refunds up to what was captured and not a cent more, under concurrency and with
 * the command worker SIGKILLed. The database's amounts are held against the gateway's own
 * ledger every time.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { childPidFile } from "../../infra/stack/components/service.ts";
import { DEV_MERCHANT_KEY } from "../../infra/stack/components/index.ts";
import { publicFetch } from "../setup/endpoints.ts";
import { db, eventually, simAdmin } from "./support.ts";

type Ledger = { charges: number; captured: number; refunded: number; pendingRefunds: number; refunds: { id: string; amount: number; status: string }[] };
const ledgerOf = (id: string) => simAdmin(`charges/${id}`) as Promise<Ledger>;

async function api(method: string, path: string, body?: unknown, key: string = crypto.randomUUID()) {
  const headers: Record<string, string> = { authorization: `Bearer ${DEV_MERCHANT_KEY}` };
  if (method === "POST") headers["idempotency-key"] = key;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await publicFetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const payment = (id: string) => api("GET", `/v1/payments/${id}`).then((r) => r.json);
const until = (what: string, id: string, ok: (p: any) => boolean, timeoutMs = 60_000) =>
  eventually(
    what,
    async () => {
      const p = await payment(id);
      return ok(p) ? p : undefined;
    },
    timeoutMs,
  );

async function create(over: Record<string, unknown> = {}): Promise<string> {
  const res = await api("POST", "/v1/payments", {
    amount: 100_00,
    currency: "EUR",
    payment_method: "pm_card_visa",
    customer: { email: "buyer@example.test" },
    ...over,
  });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.id;
}

async function captured(amount = 100_00): Promise<string> {
  const id = await create({ amount });
  await until("the payment approved", id, (p) => p.status === "APPROVED");
  return id;
}

describe("hold and capture", () => {
  test("a manual payment is held, then a partial capture takes 60 of 100 and releases the rest, at the gateway too", async () => {
    const id = await create({ capture_method: "manual" });
    const held = await until("the authorization", id, (p) => p.status === "AUTHORIZED");
    expect(held).toMatchObject({ capture_method: "manual", amount_capturable: 100_00, amount_captured: 0 });
    expect((await ledgerOf(id)).charges).toBe(0); // held, not charged

    const accepted = await api("POST", `/v1/payments/${id}/capture`, { amount: 60_00 });
    expect(accepted.status).toBe(202);
    expect(accepted.json.pending_command).toMatchObject({ kind: "capture", amount: 60_00 });
    const done = await until("the capture", id, (p) => p.status === "APPROVED");
    expect(done).toMatchObject({ amount_captured: 60_00, amount_capturable: 0, pending_command: null });
    expect(await ledgerOf(id)).toMatchObject({ charges: 1, captured: 60_00 });
    // Captured once: a second capture is refused with a precise code.
    const again = await api("POST", `/v1/payments/${id}/capture`, {});
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("payment_already_captured");
  }, 90_000);

  test("a canceled authorization is void at the gateway, and a capture after it is refused", async () => {
    const id = await create({ capture_method: "manual" });
    await until("the authorization", id, (p) => p.status === "AUTHORIZED");
    expect((await api("POST", `/v1/payments/${id}/cancel`)).status).toBe(202);
    await until("the cancel", id, (p) => p.status === "CANCELED");
    const capture = await api("POST", `/v1/payments/${id}/capture`, {});
    expect(capture.status).toBe(409);
    expect(capture.json.error.code).toBe("payment_canceled");
    expect(await ledgerOf(id)).toMatchObject({ charges: 0, captured: 0 });
  }, 90_000);

  test("an authorization not captured by capture_before is voided at the gateway by itself", async () => {
    const id = await create({ capture_method: "manual", capture_before: new Date(Date.now() + 3_000).toISOString() });
    await until("the authorization", id, (p) => p.status === "AUTHORIZED");
    await until("the expiry", id, (p) => p.status === "CANCELED", 60_000);
    const [cmd] = await db<
      { requested_by: string; state: string }[]
    >`SELECT requested_by, state FROM payment_commands WHERE payment_id = ${id} AND kind = 'cancel'`;
    expect(cmd).toEqual({ requested_by: "expiry", state: "succeeded" });
    expect(await ledgerOf(id)).toMatchObject({ charges: 0, captured: 0 });
  }, 90_000);

  test("capturing an automatic payment is refused", async () => {
    const id = await captured();
    const res = await api("POST", `/v1/payments/${id}/capture`, {});
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("payment_not_manual");
  }, 60_000);
});

describe("refunds", () => {
  test("50 concurrent refunds of 60 against a captured payment of 100: exactly one succeeds, in the database and at the gateway", async () => {
    const id = await captured(100_00);
    const answers = await Promise.all(Array.from({ length: 50 }, () => api("POST", "/v1/refunds", { payment_id: id, amount: 60_00 })));
    const accepted = answers.filter((a) => a.status === 201);
    expect(accepted).toHaveLength(1);
    const refused = answers.filter((a) => a.status !== 201);
    expect(new Set(refused.map((a) => `${a.status} ${a.json.error.code}`))).toEqual(new Set(["409 amount_too_large"]));
    const refundId = accepted[0]!.json.id;
    await eventually(
      "the refund succeeded",
      async () => ((await api("GET", `/v1/refunds/${refundId}`)).json.status === "succeeded" ? true : undefined),
      60_000,
    );
    expect(await payment(id)).toMatchObject({ amount_captured: 100_00, amount_refunded: 60_00 });
    const ledger = await ledgerOf(id);
    expect(ledger).toMatchObject({ captured: 100_00, refunded: 60_00 });
    expect(ledger.refunds.map((r) => r.amount)).toEqual([60_00]);
  }, 120_000);

  test("repeated partial refunds up to the captured amount and not a cent more", async () => {
    const id = await captured(100_00);
    for (const amount of [30_00, 30_00, 40_00]) expect((await api("POST", "/v1/refunds", { payment_id: id, amount })).status).toBe(201);
    const over = await api("POST", "/v1/refunds", { payment_id: id, amount: 1 });
    expect(over.status).toBe(409);
    expect(over.json.error.code).toBe("charge_already_refunded");
    await until("every refund settled", id, (p) => p.amount_refunded === 100_00, 60_000);
    const ledger = await ledgerOf(id);
    expect(ledger).toMatchObject({ captured: 100_00, refunded: 100_00, pendingRefunds: 0 });
    expect(ledger.refunds).toHaveLength(3);
  }, 120_000);

  test("the command worker SIGKILLed mid-run: every refund ends final and none runs twice at the gateway", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => captured(50_00)));
    const refunds = (
      await Promise.all(
        ids.flatMap((id) => [api("POST", "/v1/refunds", { payment_id: id, amount: 20_00 }), api("POST", "/v1/refunds", { payment_id: id, amount: 30_00 })]),
      )
    ).map((r) => r.json.id as string);
    // Kill it once some refunds are done and some are not.
    await eventually(
      "the worker half-way through",
      async () => {
        const [r] = await db<{ done: number }[]>`SELECT count(*) FILTER (WHERE status <> 'pending')::int AS done FROM refunds WHERE id = ANY(${refunds})`;
        return r!.done > 0 && r!.done < refunds.length ? true : undefined;
      },
      60_000,
      20,
    );
    process.kill(Number(readFileSync(childPidFile("command-worker"), "utf8")), "SIGKILL");
    await eventually(
      "every refund final",
      async () => {
        const [r] = await db<{ open: number }[]>`SELECT count(*) FILTER (WHERE status = 'pending')::int AS open FROM refunds WHERE id = ANY(${refunds})`;
        return r!.open === 0 ? true : undefined;
      },
      120_000,
    );
    for (const id of ids) {
      const ledger = await ledgerOf(id);
      expect(
        ledger.refunds.map((r) => r.amount).sort((a, b) => a - b),
        id,
      ).toEqual([20_00, 30_00]);
      expect(ledger.refunded, id).toBe(50_00);
      expect((await payment(id)).amount_refunded, id).toBe(50_00);
    }
  }, 240_000);
});
