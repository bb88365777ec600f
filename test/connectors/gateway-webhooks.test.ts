/**
 * The gateways' webhooks on the running stack: the simulators post them through Caddy to
 * POST /webhooks/stripe and /webhooks/adyen, signed as the gateways sign them. A payment
 * whose outcome only the webhook tells becomes final; a webhook racing the worker's own
 * answer, and the same webhook delivered twice, change the payment once: one result, one
 * email, one merchant event. A request whose signature does not verify changes nothing.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { adyenSignature, type NotificationItem } from "../../shared/connectors/adyen/webhook.ts";
import { stripeSignature } from "../../simulator/stripe-events.ts";
import { LOCAL_WEBHOOK_SECRETS } from "../../infra/stack/components/index.ts";
import { Topics } from "../../shared/topics.ts";
import { mailpit } from "../notifications/tools.ts";
import { publicFetch } from "../setup/endpoints.ts";
import { eventually } from "../setup/wait.ts";
import { api, chargesAt, circuitsClosed, component, db, finalStatuses, merchantRouted, pay, paymentOf, restoreWebhooks, simAdmin } from "./support.ts";

const HOUR_MS = 3_600_000;
const mail = mailpit();

afterAll(async () => {
  await Promise.all([restoreWebhooks("stripe"), restoreWebhooks("adyen")]);
});

describe("gateway webhooks", () => {
  test("a payment only Adyen's AUTHORISATION webhook decides (Received, an hour later) becomes APPROVED", async () => {
    const m = await merchantRouted("Webhook only", [{ connectors: ["adyen"] }]);
    const p = await pay(m, { payment_method: "pm_card_processing" });
    // Adyen says Received, and its replay says Received again: the worker cannot decide it.
    await eventually(
      "the worker to have asked Adyen",
      async () => (await db`SELECT 1 FROM payments WHERE id = ${p.id} AND last_error IS NOT NULL`).length === 1,
      30_000,
    );
    expect((await paymentOf(m, p.id)).status).toBe("PENDING");
    await simAdmin("adyen", "clock", { body: { advanceMs: HOUR_MS } });
    const final = await finalStatuses([p.id], 30_000);
    expect(final.get(p.id)).toEqual({ status: "APPROVED", connector: "adyen" });
    const [hook] = await db<
      { outcome: string; type: string }[]
    >`SELECT outcome, type FROM gateway_webhook_events WHERE payment_id = ${p.id} AND type = 'AUTHORISATION'`;
    expect(hook).toEqual({ outcome: "settled", type: "AUTHORISATION" });
    expect(await chargesAt("adyen", p.id)).toBe(1);
  }, 90_000);

  test("webhooks racing the workers' answers, each delivered twice: one result, one email, one merchant event per payment", async () => {
    await circuitsClosed();
    await Promise.all([restoreWebhooks("stripe", { duplicate: true }), restoreWebhooks("adyen", { duplicate: true })]);
    const m = await merchantRouted("Webhook race", [
      {
        split: [
          { connector: "stripe", percent: 50 },
          { connector: "adyen", percent: 50 },
        ],
      },
    ]);
    const run = `race-${crypto.randomUUID().slice(0, 8)}`;
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) => pay(m, { customer: { email: `${run}-${i}@example.test` }, capture_method: i % 3 === 0 ? "manual" : "automatic" })),
    );
    const ids = created.map((p) => p.id);
    const final = await finalStatuses(ids, 60_000);
    expect(new Set([...final.values()].map((f) => f.connector))).toEqual(new Set(["stripe", "adyen"]));
    // Every webhook (two copies each) has been handled once the simulators have delivered them.
    await Promise.all([simAdmin("stripe", "webhooks/flush", { body: {} }), simAdmin("adyen", "webhooks/flush", { body: {} })]);
    const seen = await db<
      { payment_id: string; n: number }[]
    >`SELECT payment_id, count(*)::int AS n FROM gateway_webhook_events WHERE payment_id = ANY(${ids}) GROUP BY payment_id`;
    expect(seen.length).toBe(ids.length);
    const results = await db<{ key: string; n: number }[]>`
      SELECT key, count(*)::int AS n FROM outbox WHERE topic = ${Topics.paymentsResults} AND key = ANY(${ids}) AND payload->>'kind' = 'decided' GROUP BY key`;
    expect(results.map((r) => [r.key, r.n]).sort()).toEqual(ids.map((id) => [id, 1]).sort());
    const events = await db<{ payment_id: string; n: number }[]>`
      SELECT payment_id, count(*)::int AS n FROM events WHERE payment_id = ANY(${ids}) AND type IN ('payment.approved', 'payment.authorized', 'payment.denied') GROUP BY payment_id`;
    expect(events.map((e) => [e.payment_id, e.n]).sort()).toEqual(ids.map((id) => [id, 1]).sort());
    // Automatic payments mail the customer once (held ones mail at capture).
    const automatic = created.filter((_, i) => i % 3 !== 0);
    const mails = await eventually(
      "the customer emails",
      async () => {
        const found = await mail.search(`to:"${run}-"`);
        return found.length >= automatic.length && found;
      },
      60_000,
    );
    expect(mails.length).toBe(automatic.length);
  }, 120_000);

  test("a REFUND webhook that either of two pending refunds of the same amount could be is answered 503 and settles neither; each settles by its own", async () => {
    const m = await merchantRouted("Two refunds", [{ connectors: ["adyen"] }]);
    const p = await pay(m, { amount: 5000 });
    expect((await finalStatuses([p.id], 60_000)).get(p.id)).toEqual({ status: "APPROVED", connector: "adyen" });
    const [{ psp } = { psp: "" }] = await db<{ psp: string }[]>`SELECT gateway_intent_id AS psp FROM payments WHERE id = ${p.id}`;
    // The command worker is down: both refunds are pending, and Adyen has named neither to us.
    const worker = component("command-worker");
    await worker.stop();
    let refunds: string[];
    try {
      refunds = await Promise.all(
        [1, 2].map(async () => {
          const res = await api(m.apiKey, "POST", "/v1/refunds", { payment_id: p.id, amount: 1000 });
          expect(res.status).toBe(201);
          return res.json.id as string;
        }),
      );
      const item: NotificationItem = {
        pspReference: `R${crypto.randomUUID().replaceAll("-", "").slice(0, 15).toUpperCase()}`,
        originalReference: psp,
        merchantAccountCode: "PayorchTestECOM",
        merchantReference: p.id,
        amount: { value: 1000, currency: "EUR" },
        eventCode: "REFUND",
        eventDate: new Date().toISOString(),
        success: "true",
      };
      const signed = { ...item, additionalData: { hmacSignature: adyenSignature(item, LOCAL_WEBHOOK_SECRETS.adyen) } };
      const res = await publicFetch("/webhooks/adyen", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ live: "false", notificationItems: [{ NotificationRequestItem: signed }] }),
      });
      expect(res.status).toBe(503);
      const rows = await db<{ status: string; gateway_refund_id: string | null }[]>`SELECT status, gateway_refund_id FROM refunds WHERE id = ANY(${refunds})`;
      expect([...rows]).toEqual([
        { status: "pending", gateway_refund_id: null },
        { status: "pending", gateway_refund_id: null },
      ]);
      // Not remembered: its redelivery is applied once the worker has said which refund is which.
      expect((await db`SELECT 1 FROM gateway_webhook_events WHERE event_id LIKE ${`${item.pspReference}%`}`).length).toBe(0);
    } finally {
      await worker.start();
    }
    await eventually(
      "both refunds settled by their own webhooks",
      async () => (await db`SELECT 1 FROM refunds WHERE id = ANY(${refunds}) AND status = 'succeeded' AND gateway_refund_id IS NOT NULL`).length === 2,
      60_000,
    );
    expect((await api(m.apiKey, "GET", `/v1/payments/${p.id}`)).json.amount_refunded).toBe(2000);
    expect(((await simAdmin("adyen", `charges/${p.id}`)) as { refunded: number }).refunded).toBe(2000);
  }, 120_000);

  test("a webhook whose signature does not verify is refused with 400 and changes nothing", async () => {
    const m = await merchantRouted("Forged webhook", [{ connectors: ["stripe"] }]);
    // A payment Stripe keeps processing (for an hour of its clock): only a webhook could decide it now.
    const p = await pay(m, { payment_method: "pm_card_processing" });
    const event = JSON.stringify({
      id: `evt_forged${crypto.randomUUID().replaceAll("-", "")}`,
      object: "event",
      type: "payment_intent.succeeded",
      api_version: "2026-10-28.endive",
      created: 1,
      data: {
        object: {
          id: "pi_forged",
          object: "payment_intent",
          status: "succeeded",
          amount: 2500,
          amount_received: 2500,
          currency: "eur",
          metadata: { payment_id: p.id },
          last_payment_error: null,
        },
      },
    });
    const now = Math.floor(Date.now() / 1000);
    const post = (signature: string | null) =>
      publicFetch("/webhooks/stripe", {
        method: "POST",
        headers: { "content-type": "application/json", ...(signature ? { "stripe-signature": signature } : {}) },
        body: event,
      });
    for (const signature of [
      null,
      stripeSignature(event, "whsec_notthesecret0123456789", now),
      stripeSignature(event, LOCAL_WEBHOOK_SECRETS.stripe, now - 3600),
    ]) {
      const res = await post(signature);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("webhook_rejected");
    }
    expect((await paymentOf(m, p.id)).status).toBe("PENDING");
    expect((await db`SELECT 1 FROM gateway_webhook_events WHERE payment_id = ${p.id} AND event_id LIKE 'evt_forged%'`).length).toBe(0);
  }, 60_000);
});
