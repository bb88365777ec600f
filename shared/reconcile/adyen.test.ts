/**
 * Adyen's side of a reconciliation against the simulator's Adyen mode in-process
 * (simulator/adyen/testing.ts): payments, captures, cancels and refunds made through the
 * platform's own Adyen connector, then read back from the Payment accounting reports of the
 * window, in the platform's minor units; reports not out yet and refused downloads.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { MERCHANT, startAdyenSimulator } from "../../simulator/adyen/testing.ts";
import type { AdyenSettings } from "../connectors/adyen/config.ts";
import { createAdyenGateway } from "../connectors/adyen/gateway.ts";
import type { Call, Charge } from "../connectors/types.ts";
import { readAdyenRecords, reportFile } from "./adyen.ts";
import { DAY_MS } from "./days.ts";
import { ReconcileError, type GatewayRecord, type Window } from "./model.ts";

const run = startAdyenSimulator();
const settings: AdyenSettings = { adyenApiBase: run.baseUrl, adyenApiKey: "AQE_test_report_user", adyenMerchantAccount: MERCHANT, adyenTimeoutMs: 5_000 };
const gw = createAdyenGateway({ apiKey: "AQE_test_simulator_key", apiBase: run.baseUrl, merchantAccount: MERCHANT, timeoutMs: 5_000 });
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const HOUR = 3_600_000;
const advance = (ms: number) => run.admin("POST", "/__admin/clock", { advanceMs: ms });
const simNow = async (): Promise<number> => (await run.admin("GET", "/__admin/clock")).now;

const charge = (paymentId: string, over: Partial<Charge> = {}): Charge => ({
  paymentId,
  merchantId: "mer_1",
  amount: 2000,
  currency: "EUR",
  paymentMethod: "pm_card_visa",
  captureMethod: "automatic",
  ...over,
});
const send = (call: Call) => gw.send(call, "ex_test");
const create = async (c: Charge) => (await send({ op: "create", idempotencyKey: c.paymentId, charge: c })).payments[0]!.ref;
const refund = (ref: string, paymentId: string, amount: number, n: number) =>
  send({ op: "refund", idempotencyKey: `cmd_ref_${paymentId}_${n}`, ref, amount, currency: "EUR", refundId: `re_${n}`, paymentId });

/** From a day before the simulator's now to a moment after it: every report in it is out. */
async function around(): Promise<Window> {
  const now = await simNow();
  return { from: new Date(now - DAY_MS), to: new Date(now + 1_000) };
}

async function read(w?: Window): Promise<Map<string | null, GatewayRecord>> {
  const { records, warnings } = await readAdyenRecords(settings, w ?? (await around()));
  expect(warnings).toEqual([]);
  return new Map(records.map((r) => [r.paymentId, r]));
}

describe("readAdyenRecords", () => {
  test("an automatic payment, a manual one partly captured, a held one, a refusal, a cancel: in the platform's words", async () => {
    const auto = await create(charge("pay_auto"));
    const part = await create(charge("pay_part", { captureMethod: "manual" }));
    await send({ op: "capture", idempotencyKey: "cmd_cap", ref: part, amount: 1200, currency: "EUR", paymentId: "pay_part" });
    await create(charge("pay_held", { captureMethod: "manual" }));
    await create(charge("pay_no", { paymentMethod: "pm_card_visa_chargeDeclined" }));
    const voided = await create(charge("pay_void", { captureMethod: "manual" }));
    await send({ op: "cancel", idempotencyKey: "cmd_void", ref: voided, paymentId: "pay_void" });
    const r = await read();
    expect(r.get("pay_auto")).toMatchObject({
      connector: "adyen",
      ref: auto,
      currency: "EUR",
      authorized: 2000,
      captured: 2000,
      refunded: 0,
      status: "captured",
      detail: "SentForSettle",
      refunds: [],
    });
    expect(r.get("pay_part")).toMatchObject({ authorized: 2000, captured: 1200, status: "captured" });
    expect(r.get("pay_held")).toMatchObject({ authorized: 2000, captured: 0, status: "authorized", detail: "Authorised" });
    expect(r.get("pay_no")).toMatchObject({ authorized: 0, captured: 0, status: "declined", detail: "Refused" });
    expect(r.get("pay_void")).toMatchObject({ authorized: 0, captured: 0, status: "canceled", detail: "Cancelled" });
    expect(Math.abs(r.get("pay_auto")!.createdAt.getTime() - (await simNow()))).toBeLessThan(60_000);
  });

  test("refunds by the modification's pspReference: succeeded, pending until it settles, and failed an hour later", async () => {
    const ok = await create(charge("pay_r"));
    const okRefund = (await refund(ok, "pay_r", 500, 1)).received;
    const pend = await create(charge("pay_p", { paymentMethod: "pm_card_pendingRefund" }));
    await refund(pend, "pay_p", 2000, 1);
    const fail = await create(charge("pay_f", { paymentMethod: "pm_card_refundFail" }));
    await refund(fail, "pay_f", 2000, 1);
    let r = await read();
    expect(r.get("pay_r")).toMatchObject({ refunded: 500, refunds: [{ ref: okRefund, refundId: null, amount: 500, status: "succeeded" }] });
    expect(r.get("pay_p")).toMatchObject({ refunded: 0, refunds: [{ amount: 2000, status: "pending" }] });
    expect(r.get("pay_f")).toMatchObject({ refunded: 2000, refunds: [{ status: "succeeded" }] });
    await advance(2 * HOUR);
    r = await read();
    expect(r.get("pay_p")).toMatchObject({ refunded: 2000, refunds: [{ status: "succeeded" }] });
    expect(r.get("pay_f")).toMatchObject({ refunded: 0, refunds: [{ status: "failed" }] });
  });

  test("amounts come back in the platform's minor units where Adyen's decimals differ (IDR, ISK)", async () => {
    await create(charge("pay_idr", { currency: "IDR", amount: 150_000 }));
    await create(charge("pay_isk", { currency: "ISK", amount: 2_000 }));
    const r = await read();
    expect(r.get("pay_idr")).toMatchObject({ currency: "IDR", authorized: 150_000, captured: 150_000 });
    expect(r.get("pay_isk")).toMatchObject({ currency: "ISK", authorized: 2_000, captured: 2_000 });
  });

  test("only payments received in the window: an older one is left out with its later refund", async () => {
    const old = await create(charge("pay_old"));
    await advance(3 * DAY_MS);
    await refund(old, "pay_old", 500, 1);
    await create(charge("pay_new"));
    const r = await read();
    expect([...r.keys()]).toEqual(["pay_new"]);
  });

  test("days whose report is not out yet are skipped with a warning", async () => {
    await create(charge("pay_w"));
    const now = await simNow();
    const { records, warnings } = await readAdyenRecords(settings, { from: new Date(now - HOUR), to: new Date(now + 2 * DAY_MS) });
    expect(records.map((r) => r.paymentId)).toEqual(["pay_w"]);
    expect(warnings).toHaveLength(2);
    expect(warnings.at(-1)).toContain(reportFile(new Date(now + 2 * DAY_MS - 1)));
    expect(warnings.at(-1)).toContain("is not available (yet)");
  });
});

describe("refused downloads", () => {
  const fake = (res: () => Response | Promise<Response>) => (() => Promise.resolve(res())) as unknown as typeof fetch;
  const window = { from: new Date("2024-05-01T00:00:00Z"), to: new Date("2024-05-02T00:00:00Z") };

  test("a 401 names the variables to check, never the key; a 500 says what failed", async () => {
    const denied = await readAdyenRecords(settings, window, { fetch: fake(() => new Response("no", { status: 401 })) }).catch((e) => e);
    expect(denied).toBeInstanceOf(ReconcileError);
    expect(denied.message).toContain("ADYEN_API_KEY");
    expect(denied.message).not.toContain(settings.adyenApiKey);
    const broken = await readAdyenRecords(settings, window, { fetch: fake(() => new Response("x", { status: 500 })) }).catch((e) => e);
    expect(broken.message).toBe("adyen: the download of payments_accounting_report_2024_05_01.csv was refused with HTTP 500");
  });

  test("the request: the report path of the merchant account, the key in X-API-Key", async () => {
    const seen: { url: string; key: string | null }[] = [];
    const recording = ((url: string, init: RequestInit) => {
      seen.push({ url, key: new Headers(init.headers).get("X-API-Key") });
      return Promise.resolve(new Response("Psp Reference,Merchant Reference,Booking Date,TimeZone,Main Currency,Main Amount,Record Type\n"));
    }) as unknown as typeof fetch;
    expect(await readAdyenRecords({ ...settings, adyenApiBase: undefined }, window, { fetch: recording })).toEqual({ records: [], warnings: [] });
    expect(seen).toEqual([
      { url: `https://ca-test.adyen.com/reports/download/MerchantAccount/${MERCHANT}/payments_accounting_report_2024_05_01.csv`, key: settings.adyenApiKey },
    ]);
  });

  test("nothing listening is a ReconcileError naming the file", async () => {
    const err = await readAdyenRecords({ ...settings, adyenApiBase: "http://127.0.0.1:9" }, window).catch((e) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err.message).toContain("the download of payments_accounting_report_2024_05_01.csv failed");
  });
});
