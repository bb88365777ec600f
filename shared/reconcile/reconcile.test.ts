/**
 * A reconciliation of today with the real readers against both simulators in-process (the
 * Stripe mode through the SDK, the Adyen mode through the platform's Adyen connector) and a
 * stand-in payments table: each kind of mismatch found through the gateways' own records.
 */
import { afterAll, expect, test } from "bun:test";
import { MERCHANT, startAdyenSimulator } from "../../simulator/adyen/testing.ts";
import { authorize, charge, startSimulator } from "../../simulator/testing.ts";
import { createAdyenGateway } from "../connectors/adyen/gateway.ts";
import { formatDay } from "./days.ts";
import { readAdyenRecords } from "./adyen.ts";
import { reconcile } from "./run.ts";
import { readStripeRecords } from "./stripe.ts";
import { fakePaymentsTable, paymentRow } from "./testing.ts";

const stripeSim = startSimulator();
const adyenSim = startAdyenSimulator();
afterAll(async () => {
  await stripeSim.stop();
  await adyenSim.stop();
});

test("missing_locally, missing_at_gateway and amount_mismatch at both connectors; what agrees is not reported", async () => {
  const stripe = stripeSim.stripe();
  const ok = await charge(stripe, "pay_s_ok");
  const ghost = await charge(stripe, "pay_s_ghost");
  const part = await authorize(stripe, "pay_s_part");
  await stripe.paymentIntents.capture(part.id, { amount_to_capture: 1200 });
  const adyen = createAdyenGateway({ apiKey: "AQE_test_simulator_key", apiBase: adyenSim.baseUrl, merchantAccount: MERCHANT, timeoutMs: 5_000 });
  const pay = async (paymentId: string) =>
    (
      await adyen.send(
        {
          op: "create",
          idempotencyKey: paymentId,
          charge: { paymentId, merchantId: "mer_1", amount: 2000, currency: "EUR", paymentMethod: "pm_card_visa", captureMethod: "automatic" },
        },
        "ex",
      )
    ).payments[0]!.ref;
  const aOk = await pay("pay_a_ok");
  const aStray = await pay("pay_s_lost");

  const now = new Date();
  const { sql } = fakePaymentsTable([
    paymentRow({ id: "pay_s_ok", gateway_intent_id: ok.id, created_at: now }),
    paymentRow({ id: "pay_s_part", gateway_intent_id: part.id, created_at: now }),
    paymentRow({ id: "pay_s_lost", gateway_intent_id: "pi_never", created_at: now }),
    paymentRow({ id: "pay_a_ok", connector: "adyen", currency: "EUR", gateway_intent_id: aOk, created_at: now }),
  ]);
  const report = await reconcile(
    sql,
    {
      stripe: (w) =>
        readStripeRecords({ stripeApiBase: `http://127.0.0.1:${stripeSim.port}`, stripeSecretKey: "sk_test_simulator", stripeTimeoutMs: 5_000 }, w),
      adyen: (w) =>
        readAdyenRecords({ adyenApiBase: adyenSim.baseUrl, adyenApiKey: "AQE_test_report_user", adyenMerchantAccount: MERCHANT, adyenTimeoutMs: 5_000 }, w),
    },
    formatDay(now),
  );

  expect(report.mismatches.map((m) => [m.kind, m.connector, m.payment_id, m.gateway_ref])).toEqual([
    ["missing_locally", "adyen", "pay_s_lost", aStray],
    ["missing_at_gateway", "stripe", "pay_s_lost", "pi_never"],
    ["amount_mismatch", "stripe", "pay_s_part", part.id],
    ["missing_locally", "stripe", "pay_s_ghost", ghost.id],
  ]);
  expect(report.mismatches[2]!.reason).toBe("captured 2000 here, 1200 at stripe");
  expect(report.summary.by_connector).toEqual({
    stripe: { payments: 3, gateway_records: 3, missing_locally: 1, missing_at_gateway: 1, amount_mismatch: 1 },
    adyen: { payments: 1, gateway_records: 2, missing_locally: 1, missing_at_gateway: 0, amount_mismatch: 0 },
  });
  // The next days' Adyen reports are not out yet on the simulator's clock.
  expect(report.warnings.length).toBeGreaterThanOrEqual(2);
});
