/**
 * The status sync on the running stack: a payment left PENDING long after its last change,
 * with its outcome at the gateway (the worker charged it, and its message is gone), is
 * handed back to the payment worker by the command worker's sweep (its webhook lost); the worker asks Stripe
 * first (a find by payment id, never a create) and the payment converges, charged once.
 * The sweep runs in a command worker started here with a short staleness bound; the stack's
 * own runs with the default (five minutes).
 */
import { afterAll, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { SIMULATOR_SECRET_KEY } from "../../shared/connectors/stripe/config.ts";
import { kill, startService, type Proc } from "../notifications/tools.ts";
import { auditOf } from "../payments/support.ts";
import { eventually } from "../setup/wait.ts";
import { chargesAt, db, finalStatuses, merchantRouted, restoreWebhooks, SIMS } from "./support.ts";

let sweeper: Proc | undefined;
afterAll(async () => {
  await kill(sweeper, "SIGTERM");
  await restoreWebhooks("stripe");
});

const url = new URL(SIMS.stripe);
const stripe = new Stripe(SIMULATOR_SECRET_KEY, { host: url.hostname, port: Number(url.port), protocol: "http", maxNetworkRetries: 0 });

describe("status sync", () => {
  test("a stale PENDING payment charged at Stripe is found there and settles APPROVED, without a second charge", async () => {
    const m = await merchantRouted("Status sync", [{ connectors: ["stripe"] }]);
    // Stripe's webhook would tell the outcome by itself; here it is lost, so only asking Stripe can.
    await restoreWebhooks("stripe", { skipMerchants: [m.merchantId] });
    const id = `pay_${crypto.randomUUID().replaceAll("-", "")}`;
    // The payment as the API stored it an hour ago, assigned to Stripe; no message for it is left anywhere.
    await db`
      INSERT INTO payments (id, merchant_id, status, amount, currency, payment_method, customer_email, metadata, created_at, updated_at, connector)
      VALUES (${id}, ${m.merchantId}, 'PENDING', 4100, 'EUR', 'pm_card_visa', 'sync@example.test', '{}', now() - interval '1 hour', now() - interval '1 hour', 'stripe')`;
    await db`INSERT INTO payment_attempts (payment_id, seq, connector, reason, started_at) VALUES (${id}, 1, 'stripe', 'route', now() - interval '1 hour')`;
    // What the worker had sent before its answer was lost: Stripe holds the charge.
    await stripe.paymentIntents.create(
      {
        amount: 4100,
        currency: "eur",
        payment_method: "pm_card_visa",
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        metadata: { payment_id: id, merchant_id: m.merchantId },
      },
      { idempotencyKey: id },
    );
    expect(await chargesAt("stripe", id)).toBe(1);
    // Three more, parked in the dead-letter queue by the worker: retries ran out a minute ago
    // (left alone: handed back now it would only be parked again), refused as poison two hours
    // ago (the operator's alone), retries ran out two hours ago (handed back, and charged once).
    const parkedPayment = async (reason: string, parkedFor: string) => {
      const id = `pay_${crypto.randomUUID().replaceAll("-", "")}`;
      await db`
        INSERT INTO payments (id, merchant_id, status, amount, currency, payment_method, customer_email, metadata, created_at, updated_at, connector)
        VALUES (${id}, ${m.merchantId}, 'PENDING', 4200, 'EUR', 'pm_card_visa', 'sync@example.test', '{}', now() - interval '3 hours', now() - interval '3 hours', 'stripe')`;
      await db`
        INSERT INTO dead_letters (topic, partition, "offset", key, original_topic, error_message, attempts, headers, created_at)
        VALUES ('payments.created.dlq', 0, ${-Math.floor(Math.random() * 1e12)}, ${id}, 'payments.created', ${reason}, 7,
                ${db.json({ "x-dlq-reason": reason })}, now() - ${parkedFor}::interval)`;
      return id;
    };
    const [recent, poison, exhausted] = [
      await parkedPayment("exhausted", "1 minute"),
      await parkedPayment("poison", "2 hours"),
      await parkedPayment("exhausted", "2 hours"),
    ];

    sweeper = startService("command-worker", {
      SERVICE_NAME: "command-worker-sync-it",
      SYNC_STALE_MS: "1000",
      SYNC_INTERVAL_MS: "300",
      SYNC_DEAD_LETTER_AFTER_MS: "1800000",
      STRIPE_API_BASE: SIMS.stripe,
      ADYEN_API_BASE: SIMS.adyen,
    });
    const final = await finalStatuses([id], 60_000);
    expect(final.get(id)).toEqual({ status: "APPROVED", connector: "stripe" });
    expect(await chargesAt("stripe", id)).toBe(1);
    const docs = await eventually(
      "the payment worker's exchanges",
      async () => {
        const d = await auditOf([id]);
        return d.length > 0 && d;
      },
      10_000,
    );
    expect(docs.map((d) => (d as unknown as { operation: string }).operation)).not.toContain("create");
    expect(docs.every((d) => (d as unknown as { replay?: string }).replay === "sync:1")).toBe(true);
    const [row] = await db<{ sync_count: number }[]>`SELECT sync_count FROM payments WHERE id = ${id}`;
    expect(row!.sync_count).toBe(1);
    const parkedFinal = await finalStatuses([exhausted], 60_000);
    expect(parkedFinal.get(exhausted)).toEqual({ status: "APPROVED", connector: "stripe" });
    expect(await chargesAt("stripe", exhausted)).toBe(1);
    const left = await db<
      { id: string; sync_count: number; status: string }[]
    >`SELECT id, sync_count, status FROM payments WHERE id IN (${recent}, ${poison}) ORDER BY id`;
    expect([...left]).toEqual([recent, poison].sort().map((id) => ({ id, sync_count: 0, status: "PENDING" })));
  }, 90_000);
});
