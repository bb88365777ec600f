/**
 * Money safety of the payment worker against the running stack: a payment is never
 * charged a second time once the gateway has forgotten its idempotency key, a payment the
 * gateway keeps half-done converges by asking it, a message that disagrees with its payment
 * is never charged, and every HTTP exchange with the gateway has its own audit document.
 * The gateway's clock (25 hours passing) and per-payment faults come from the simulator.
 * The gateway's webhooks are off for this file's merchant: what is tested here is that the
 * worker's own look-ups converge, with no webhook to tell the outcome (test/connectors).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createMerchant, type CreatedMerchant } from "../../api/merchants/repo.ts";
import { deadLetterStore } from "../../shared/dead-letters/store.ts";
import { dlqTopic, Topics } from "../../shared/topics.ts";
import { endpoints, publicFetch } from "../setup/endpoints.ts";
import { NODE, produce, ROOT } from "../streams/kafka-tools.ts";
import { circuitsClosed, restoreWebhooks } from "../connectors/support.ts";
import { advanceGatewayClock, auditAgainstGateway, chargesOf, clearFaults, db, eventually, HOUR_MS, mongo, setFaults, simAdmin, waitFinal } from "./support.ts";

let merchant: CreatedMerchant;
beforeAll(async () => {
  merchant = await createMerchant(db as never, "Money safety");
  await restoreWebhooks("stripe", { skipMerchants: [merchant.merchantId] });
});
afterAll(() => restoreWebhooks("stripe"));
// The faults here (and an earlier file's outage) open the workers' circuit to Stripe, which is
// shared by every merchant; while it is open a payment waits and reaches no fault at all.
beforeEach(() => circuitsClosed(), 90_000);
afterEach(() => clearFaults());

async function pay(paymentMethod = "pm_card_visa", amount = 4200): Promise<string> {
  const res = await publicFetch("/v1/payments", {
    method: "POST",
    headers: { authorization: `Bearer ${merchant.apiKey}`, "idempotency-key": crypto.randomUUID(), "content-type": "application/json" },
    body: JSON.stringify({ amount, currency: "EUR", payment_method: paymentMethod, customer: { email: "buyer@example.test" } }),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Faults for this test's merchant only (the gateway matches them on the intent's metadata). */
const rules = (...list: { kind: string; phase?: string; times?: number }[]) =>
  setFaults({ rules: list.map((r) => ({ match: { merchant_id: merchant.merchantId }, ...r })) });

/** Waits until the payment has at least `count` dead letters; returns their ids, oldest first. */
const deadLetters = (paymentId: string, count = 1) =>
  eventually(
    `${count} dead letter(s) for ${paymentId}`,
    async () => {
      const rows = await db<{ id: string }[]>`
      SELECT id::text FROM dead_letters WHERE key = ${paymentId} AND topic = ${dlqTopic(Topics.paymentsCreated)} ORDER BY id`;
      return rows.length >= count ? rows.map((r) => r.id) : undefined;
    },
    60_000,
  );

const statusOf = async (id: string) => (await db<{ status: string; last_error: string | null }[]>`SELECT status, last_error FROM payments WHERE id = ${id}`)[0];

describe("never a second charge after the gateway's 24-hour key window", () => {
  test("a dead letter replayed after 25 h of simulated time finds the charge at the gateway and charges nothing new", async () => {
    // Charged on the first try, but the answer is lost; then the gateway refuses us until the payment is dead-lettered.
    await rules({ kind: "500", phase: "after", times: 1 }, { kind: "401" });
    const id = await pay();
    const [letter] = await deadLetters(id);
    expect((await statusOf(id))?.status).toBe("PENDING");
    expect(await chargesOf(id)).toBe(1);

    await clearFaults();
    await advanceGatewayClock(25 * HOUR_MS); // the gateway has forgotten the key
    await deadLetterStore(db as never).replay(letter!);
    await waitFinal([id], 60_000);
    expect((await statusOf(id))?.status).toBe("APPROVED");
    expect(await chargesOf(id)).toBe(1);
    expect(await auditAgainstGateway([id])).toEqual({ problems: [], interrupted: 0 });
  }, 120_000);

  test("a second consumer group re-reading payments.created from the beginning charges nothing", async () => {
    const ids = await Promise.all([pay(), pay(), pay("pm_card_visa_chargeDeclined")]);
    await waitFinal(ids, 60_000);
    // Every payment final by now, whoever created it: none of them may be charged again.
    const final = (await db<{ id: string }[]>`SELECT id FROM payments WHERE status <> 'PENDING'`).map((r) => r.id);
    const ledger = async () => ((await simAdmin("charges")) as { byPaymentId: Record<string, number> }).byPaymentId;
    const before = await ledger();
    const chargedBefore = new Map(ids.map((id) => [id, before[id] ?? 0]));
    await advanceGatewayClock(25 * HOUR_MS);

    // The production entry point, in a consumer group of its own (auto.offset.reset = earliest).
    const seen = new Set<string>();
    const child = spawn(NODE, [join(ROOT, "streams/payment-worker/main.ts")], {
      env: {
        ...process.env,
        DATABASE_URL: endpoints.DATABASE_URL,
        KAFKA_BROKERS: endpoints.KAFKA_BROKERS,
        KAFKA_PARTITIONS: String(endpoints.KAFKA_PARTITIONS),
        MONGO_URL: endpoints.MONGO_URL,
        STRIPE_API_BASE: endpoints.STRIPE_API_BASE,
        CONSUMER_GROUP: `reread-${crypto.randomUUID()}`,
        SERVICE_NAME: "payment-worker-reread",
        METRICS_PORT: "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) for (const id of ids) if (line.includes(id)) seen.add(id);
    });
    try {
      // Reached: it logged the payment (already final), or the gateway charged it again.
      const reached = async (id: string) => seen.has(id) || (await chargesOf(id)) > (chargedBefore.get(id) ?? 0);
      await eventually(
        "the re-reading worker to reach this test's payments",
        async () => ((await Promise.all(ids.map(reached))).every(Boolean) ? true : undefined),
        120_000,
      );
    } finally {
      child.kill("SIGTERM");
    }
    for (const id of ids) expect(await chargesOf(id), id).toBe(id === ids[2] ? 0 : 1);
    const after = await ledger();
    expect(final.filter((id) => (after[id] ?? 0) !== (before[id] ?? 0))).toEqual([]);
  }, 180_000);
});

describe("payments the gateway left half-done converge by asking it", () => {
  test("an intent that stays processing is retrieved until it settles: approved, charged once", async () => {
    const id = await pay("pm_card_processing");
    const intent = await eventually(
      "the intent id on record",
      async () => {
        const [r] = await db<
          { gateway_intent_id: string | null; last_error: string | null }[]
        >`SELECT gateway_intent_id, last_error FROM payments WHERE id = ${id}`;
        return r?.gateway_intent_id && r.last_error?.includes("processing") ? r.gateway_intent_id : undefined;
      },
      30_000,
    );
    expect(intent).toStartWith("pi_");
    await advanceGatewayClock(2 * HOUR_MS); // the gateway finishes processing
    await waitFinal([id], 90_000);
    expect((await statusOf(id))?.status).toBe("APPROVED");
    expect(await chargesOf(id)).toBe(1);
    expect(await auditAgainstGateway([id])).toEqual({ problems: [], interrupted: 0 });
  }, 120_000);

  test("a 500 stored under the key: the gateway has no intent, so a new key charges it, once", async () => {
    await rules({ kind: "500", phase: "stored", times: 1 });
    const id = await pay();
    await waitFinal([id], 100_000);
    expect((await statusOf(id))?.status).toBe("APPROVED");
    expect(await chargesOf(id)).toBe(1);
    const [row] = await db<{ gateway_key_seq: number }[]>`SELECT gateway_key_seq FROM payments WHERE id = ${id}`;
    expect(row?.gateway_key_seq).toBe(1);
    expect(await auditAgainstGateway([id])).toEqual({ problems: [], interrupted: 0 });
  }, 120_000);
});

describe("the worker charges what the payment says", () => {
  test("a PaymentCreated that disagrees with its payment is dead-lettered as poison and never charged; one that agrees charges the payment's amount", async () => {
    const id = `pay_${Bun.randomUUIDv7().replaceAll("-", "")}`;
    const now = new Date().toISOString();
    await db`INSERT INTO payments (id, merchant_id, amount, currency, payment_method, customer_email, created_at, updated_at)
             VALUES (${id}, ${merchant.merchantId}, 1000, 'EUR', 'pm_card_visa', 'buyer@example.test', ${now}, ${now})`;
    const event = (amount: number) =>
      JSON.stringify({
        v: 1,
        paymentId: id,
        merchantId: merchant.merchantId,
        amount,
        currency: "EUR",
        paymentMethod: "pm_card_visa",
        customer: { email: "buyer@example.test" },
        createdAt: now,
      });
    produce(Topics.paymentsCreated, [{ key: id, value: event(999_999) }]);
    const [letter] = await deadLetters(id);
    const [dead] = await db<
      { error_message: string; headers: Record<string, string> }[]
    >`SELECT error_message, headers FROM dead_letters WHERE id = ${letter!}::bigint`;
    expect(dead?.headers["x-dlq-reason"]).toBe("poison");
    expect(dead?.error_message).toContain("amount");
    expect((await statusOf(id))?.status).toBe("PENDING");
    expect(await chargesOf(id)).toBe(0);

    produce(Topics.paymentsCreated, [{ key: id, value: event(1000) }]);
    await waitFinal([id], 30_000);
    expect(await chargesOf(id)).toBe(1);
    const creates = await mongo
      .db()
      .collection<{ request: { method: string; params: { amount?: number } } }>("gateway_attempts")
      .find({ paymentId: id, "request.method": "POST" })
      .toArray();
    expect(creates.map((d) => d.request.params.amount)).toEqual([1000]);
  }, 90_000);
});

describe("every gateway exchange has its own audit document", () => {
  test("one dead letter replayed twice: every request the gateway received has its own document, with the answer the gateway sent", async () => {
    await rules({ kind: "401" });
    const id = await pay();
    const [first] = await deadLetters(id, 1);
    const store = deadLetterStore(db as never);
    await store.replay(first!);
    await deadLetters(id, 2);
    await store.replay(first!); // the same dead letter again
    await deadLetters(id, 3);
    // The first try creates; each replay looks the payment up first (nothing there), then creates.
    const requests = (await simAdmin(`requests?payment_id=${id}`)) as { data: { method: string }[] };
    expect(requests.data.map((r) => r.method)).toEqual(["POST", "GET", "POST", "GET", "POST"]);
    expect(await auditAgainstGateway([id])).toEqual({ problems: [], interrupted: 0 });
    expect(await chargesOf(id)).toBe(0);
  }, 90_000);
});
