/**
 * Reconciliation on the running stack: each connector's own records (Stripe's list API,
 * Adyen's payment accounting report, both from the simulators) against the platform's
 * payments. A charge made at the gateway with no payment here is `missing_locally`, in the
 * CLI's function, through GET /ops/reconciliation (JSON and CSV), and payments that went
 * through the platform at either connector reconcile to no mismatch.
 */
import { describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { DEV_OPS_KEY } from "../../infra/stack/components/index.ts";
import { SIMULATOR_SECRET_KEY } from "../../shared/connectors/stripe/config.ts";
import { reconcile } from "../../shared/reconcile/run.ts";
import { loadReconcileSources } from "../../shared/reconcile/sources.ts";
import { endpoints, publicFetch } from "../setup/endpoints.ts";
import { db, finalStatuses, merchantRouted, pay, SIMS, simAdmin } from "./support.ts";

const url = new URL(SIMS.stripe);
const stripe = new Stripe(SIMULATOR_SECRET_KEY, { host: url.hostname, port: Number(url.port), protocol: "http", maxNetworkRetries: 0 });
/** The gateway's own day (its clock may run ahead of ours: other tests advance it). */
const gatewayDay = async () => new Date(((await simAdmin("stripe", "clock")) as { now: number }).now).toISOString().slice(0, 10);
const sources = () => loadReconcileSources({ STRIPE_API_BASE: endpoints.STRIPE_API_BASE, ADYEN_API_BASE: endpoints.ADYEN_API_BASE });

describe("reconciliation", () => {
  test("a charge at Stripe with no payment here is missing_locally, in the report, the JSON and the CSV", async () => {
    const ghost = `pay_${crypto.randomUUID().replaceAll("-", "")}`;
    const pi = await stripe.paymentIntents.create({
      amount: 777,
      currency: "eur",
      payment_method: "pm_card_visa",
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: "never" },
      metadata: { payment_id: ghost },
    });
    const day = await gatewayDay();
    const report = await reconcile(db as never, sources(), day);
    expect(report.mismatches.filter((m) => m.payment_id === ghost)).toEqual([
      expect.objectContaining({ kind: "missing_locally", connector: "stripe", gateway_ref: pi.id }),
    ]);

    const headers = { authorization: `Bearer ${DEV_OPS_KEY}` };
    const json = await publicFetch(`/ops/reconciliation?date=${day}`, { headers });
    expect(json.status).toBe(200);
    const body = (await json.json()) as { mismatches: { payment_id: string | null; kind: string }[] };
    expect(body.mismatches.find((m) => m.payment_id === ghost)?.kind).toBe("missing_locally");
    const csv = await publicFetch(`/ops/reconciliation?date=${day}&format=csv`, { headers });
    expect(csv.headers.get("content-type")).toStartWith("text/csv");
    expect((await csv.text()).split("\n").find((l) => l.includes(ghost))).toContain("missing_locally");
    expect((await publicFetch(`/ops/reconciliation?date=${day}`)).status).toBe(401);
    expect((await publicFetch("/ops/reconciliation?date=yesterday", { headers })).status).toBe(400);
  }, 120_000);

  test("payments the platform charged, held and refunded at both connectors reconcile with no mismatch", async () => {
    const m = await merchantRouted("Reconciled", [
      {
        split: [
          { connector: "stripe", percent: 50 },
          { connector: "adyen", percent: 50 },
        ],
      },
    ]);
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pay(m, { amount: 1000 + i, ...(i % 4 === 0 ? { payment_method: "pm_card_visa_chargeDeclined" } : {}) })),
    );
    const ids = created.map((p) => p.id);
    const final = await finalStatuses(ids, 60_000);
    expect(new Set([...final.values()].map((f) => f.connector)).size).toBeGreaterThanOrEqual(1);
    const days = [
      ...new Set(
        (await db<{ d: string }[]>`SELECT DISTINCT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d FROM payments WHERE id = ANY(${ids})`).map(
          (r) => r.d,
        ),
      ),
    ];
    for (const day of days) {
      const report = await reconcile(db as never, sources(), day);
      expect(report.mismatches.filter((x) => x.payment_id !== null && ids.includes(x.payment_id))).toEqual([]);
    }
  }, 120_000);
});
