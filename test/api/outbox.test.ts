/**
 * The create writes payment, idempotency record and PaymentCreated outbox row in one
 * transaction, and wakes the relay with NOTIFY.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { checkEvent, PaymentCreated } from "../../shared/events.ts";
import { Topics } from "../../shared/topics.ts";
import { eventually } from "../setup/wait.ts";
import { createHarness, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

// The harness's database is not the one the stack's relay polls, so the row stays as the
// create wrote it.
test("a created payment has exactly one PaymentCreated outbox row matching the PaymentCreated contract", async () => {
  const res = await h.create();
  expect(res.json.status).toBe("PENDING");
  const rows = await h.primary`SELECT topic, key, payload, headers FROM outbox WHERE key = ${res.json.id} AND topic = ${Topics.paymentsCreated}`;
  expect(rows.length).toBe(1);
  const row = rows[0]!;
  const event = checkEvent(PaymentCreated, row.payload);
  expect(event).toEqual({
    v: 1,
    paymentId: res.json.id,
    merchantId: h.merchantA.merchantId,
    amount: 1999,
    currency: "USD",
    paymentMethod: "pm_card_visa",
    customer: { email: "jane@example.com", name: "Jane Doe" },
    createdAt: res.json.created_at,
    captureMethod: "automatic",
  });
  const payment = await h.primary`SELECT merchant_id FROM payments WHERE id = ${res.json.id}`;
  expect(payment[0]).toEqual({ merchant_id: h.merchantA.merchantId });
});

test("creating a payment wakes the relay: NOTIFY outbox with the topic, after the commit", async () => {
  const got: string[] = [];
  const listener = await h.primary.listen("outbox", (payload) => void got.push(payload));
  try {
    await h.create();
    // Other writers (the payment worker's results) notify on the same channel meanwhile.
    await eventually(`a NOTIFY outbox naming ${Topics.paymentsCreated}`, () => got.includes(Topics.paymentsCreated), 2_000, 20);
  } finally {
    await listener.unlisten();
  }
});

test("a failed create transaction leaves no payment, key or outbox row behind", async () => {
  const k = `atomic-${crypto.randomUUID()}`;
  // A payment id that already exists makes the payment INSERT fail after the key was claimed.
  const existing = await h.create();
  const item = {
    lock: "1",
    merchant_id: h.merchantA.merchantId,
    idempotency_key: k,
    fingerprint: "00",
    topic: Topics.paymentsCreated,
    payment: {
      id: existing.json.id,
      merchant_id: h.merchantA.merchantId,
      amount: 1,
      currency: "USD",
      payment_method: "pm_x",
      customer_email: "a@b.co",
      created_at: new Date().toISOString(),
    },
    event: {},
    headers: {},
    response_status: 201,
    response_body: "{}",
  };
  await expect(h.primary`SELECT * FROM create_payments(${h.primary.json([item] as never)})`).rejects.toThrow();
  const keys = await h.primary`SELECT 1 FROM idempotency_keys WHERE key = ${k}`;
  const outbox = await h.primary`SELECT count(*)::int AS n FROM outbox WHERE key = ${existing.json.id} AND topic = ${Topics.paymentsCreated}`;
  expect(keys.length).toBe(0);
  expect(outbox[0]!.n).toBe(1);
  void validBody;
});
