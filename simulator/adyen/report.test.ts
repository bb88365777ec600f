/**
 * The Payment accounting report, downloaded as a report user would (fetch with X-API-Key)
 * after payments made through the real library: one line per booking, Adyen's record types
 * in the order things happened on the simulated clock, amounts in major units with Adyen's
 * decimals, and the refusals of a download that cannot be answered.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { authorise, MERCHANT, pay, startAdyenSimulator } from "./testing.ts";

const run = startAdyenSimulator();
const checkout = run.checkout();
const mods = checkout.ModificationsApi;
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EUR = (value: number) => ({ value, currency: "EUR" });
const advance = (ms: number) => run.admin("POST", "/__admin/clock", { advanceMs: ms });
const simNow = async (): Promise<number> => (await run.admin("GET", "/__admin/clock")).now;

const fileOf = (ms: number) => `payments_accounting_report_${new Date(ms).toISOString().slice(0, 10).replaceAll("-", "_")}.csv`;
const download = (file: string, headers: Record<string, string> = { "X-API-Key": "AQE_test_report_user" }, account = MERCHANT) =>
  fetch(`${run.baseUrl}/reports/download/MerchantAccount/${account}/${file}`, { headers });

/** RFC 4180, enough for a test: quoted fields with doubled quotes, no line breaks inside. */
function parseLine(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)) {
    const f = m[1]!;
    out.push(f.startsWith('"') ? f.slice(1, -1).replaceAll('""', '"') : f);
    if (m[2] === "") break;
  }
  return out;
}

type Row = Record<string, string>;
const bookedAt = (r: Row) => Date.parse(`${(r["Booking Date"] ?? "").replace(" ", "T")}Z`);

/** Every line of every daily report from `since` to the simulated now, as column → value. */
async function rows(since: number): Promise<Row[]> {
  const out: Row[] = [];
  for (let day = Date.UTC(new Date(since).getUTCFullYear(), new Date(since).getUTCMonth(), new Date(since).getUTCDate()); day <= (await simNow()); day += DAY) {
    const res = await download(fileOf(day));
    expect(res.status).toBe(200);
    const [header, ...lines] = (await res.text()).trimEnd().split("\n").map(parseLine);
    for (const l of lines) out.push(Object.fromEntries(header!.map((h, i) => [h, l[i] ?? ""])));
  }
  return out;
}

const history = async (since: number, psp: string) =>
  (await rows(since)).filter((r) => r["Psp Reference"] === psp).map((r) => [r["Record Type"], r["Main Amount"], r["Modification Psp Reference"]]);

describe("what a payment books", () => {
  test("an automatic capture: Received, Authorised, SentForSettle at once, Settled a day later; the columns are Adyen's", async () => {
    const t0 = await simNow();
    const res = await pay(checkout, "pay_auto");
    expect(await history(t0, res.pspReference!)).toEqual([
      ["Received", "20.00", ""],
      ["Authorised", "20.00", ""],
      ["SentForSettle", "20.00", ""],
    ]);
    await advance(DAY + HOUR);
    const all = (await rows(t0)).filter((r) => r["Psp Reference"] === res.pspReference);
    expect(all.map((r) => r["Record Type"])).toEqual(["Received", "Authorised", "SentForSettle", "Settled"]);
    expect(all[0]).toMatchObject({
      "Company Account": "PayorchSimulatorCompany",
      "Merchant Account": MERCHANT,
      "Merchant Reference": "pay_auto",
      "Payment Method": "visa",
      TimeZone: "UTC",
      "Main Currency": "EUR",
      "Modification Merchant Reference": "",
    });
    expect(all[0]!["Booking Date"]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(bookedAt(all[3]!) - bookedAt(all[2]!)).toBe(DAY);
  });

  test("a manual payment: the capture books SentForSettle for what it took, with the modification's references; a refund books SentForRefund and Refunded", async () => {
    const t0 = await simNow();
    const { pspReference } = await authorise(checkout, "pay_man");
    const cap = await mods.captureAuthorisedPayment(
      pspReference!,
      { amount: EUR(1200), merchantAccount: MERCHANT, reference: "cmd_cap" },
      { idempotencyKey: "cmd_cap" },
    );
    const ref = await mods.refundCapturedPayment(
      pspReference!,
      { amount: EUR(500), merchantAccount: MERCHANT, reference: "cmd_ref" },
      { idempotencyKey: "cmd_ref" },
    );
    expect(await history(t0, pspReference!)).toEqual([
      ["Received", "20.00", ""],
      ["Authorised", "20.00", ""],
      ["SentForSettle", "12.00", cap.pspReference],
      ["SentForRefund", "5.00", ref.pspReference],
      ["Refunded", "5.00", ref.pspReference],
    ]);
    const refunded = (await rows(t0)).find((r) => r["Record Type"] === "Refunded");
    expect(refunded?.["Modification Merchant Reference"]).toBe("cmd_ref");
  });

  test("a refusal books Refused, an acquirer error Error; a refused capture or refund books nothing", async () => {
    const t0 = await simNow();
    const refused = await pay(checkout, "pay_no", "pm_card_visa_chargeDeclined");
    const error = await pay(checkout, "pay_err", "pm_card_chargeDeclinedProcessingError");
    const { pspReference } = await authorise(checkout, "pay_big");
    await mods.captureAuthorisedPayment(pspReference!, { amount: EUR(2001), merchantAccount: MERCHANT }, { idempotencyKey: "cap_big" });
    await mods.refundCapturedPayment(pspReference!, { amount: EUR(100), merchantAccount: MERCHANT }, { idempotencyKey: "ref_early" });
    expect((await history(t0, refused.pspReference!)).map((r) => r[0])).toEqual(["Received", "Refused"]);
    expect((await history(t0, error.pspReference!)).map((r) => r[0])).toEqual(["Received", "Error"]);
    expect((await history(t0, pspReference!)).map((r) => r[0])).toEqual(["Received", "Authorised"]);
  });

  test("a cancel books Cancelled; an authorisation left 7 days books Expired when it expired", async () => {
    const t0 = await simNow();
    const cancelled = await authorise(checkout, "pay_cxl");
    await mods.cancelAuthorisedPaymentByPspReference(
      cancelled.pspReference!,
      { merchantAccount: MERCHANT, reference: "cmd_cxl" },
      { idempotencyKey: "cmd_cxl" },
    );
    const left = await authorise(checkout, "pay_left");
    await advance(8 * DAY);
    expect((await history(t0, cancelled.pspReference!)).map((r) => r[0])).toEqual(["Received", "Authorised", "Cancelled"]);
    const expired = (await rows(t0)).filter((r) => r["Psp Reference"] === left.pspReference);
    expect(expired.map((r) => r["Record Type"])).toEqual(["Received", "Authorised", "Expired"]);
    expect(bookedAt(expired[2]!) - bookedAt(expired[1]!)).toBe(7 * DAY);
  });

  test("asynchronous refunds: a pending one books Refunded an hour later; a failing one books Refunded, then RefundFailed", async () => {
    const t0 = await simNow();
    const pending = await pay(checkout, "pay_pend", "pm_card_pendingRefund");
    const failing = await pay(checkout, "pay_fail", "pm_card_refundFail");
    for (const [p, key] of [
      [pending, "r_pend"],
      [failing, "r_fail"],
    ] as const) {
      await mods.refundCapturedPayment(p.pspReference!, { amount: EUR(2000), merchantAccount: MERCHANT }, { idempotencyKey: key });
    }
    const types = async (psp: string) => (await history(t0, psp)).map((r) => r[0]).slice(3);
    expect(await types(pending.pspReference!)).toEqual(["SentForRefund"]);
    expect(await types(failing.pspReference!)).toEqual(["SentForRefund", "Refunded"]);
    await advance(2 * HOUR);
    expect(await types(pending.pspReference!)).toEqual(["SentForRefund", "Refunded"]);
    expect(await types(failing.pspReference!)).toEqual(["SentForRefund", "Refunded", "RefundFailed"]);
  });

  test("Main Amount has the currency's decimals at Adyen; a field with a comma or a quote is quoted", async () => {
    const t0 = await simNow();
    const idr = await pay(checkout, "pay_idr", "pm_card_visa", { amount: { value: 150_000, currency: "IDR" } });
    const jpy = await pay(checkout, "pay_jpy", "pm_card_visa", { amount: { value: 2000, currency: "JPY" } });
    const odd = await pay(checkout, 'ord,"1"', "pm_card_visa", { amount: EUR(5), metadata: { payment_id: "pay_odd" } });
    expect((await history(t0, idr.pspReference!))[0]).toEqual(["Received", "150000", ""]);
    expect((await history(t0, jpy.pspReference!))[0]).toEqual(["Received", "2000", ""]);
    expect((await history(t0, odd.pspReference!))[0]).toEqual(["Received", "0.05", ""]);
    const text = await (await download(fileOf(await simNow()))).text();
    expect(text).toContain(`"ord,""1"""`);
  });
});

describe("downloading", () => {
  test("without an X-API-Key it is 401; another merchant account's report does not hold this account's payments", async () => {
    await pay(checkout, "pay_mine");
    const file = fileOf(await simNow());
    expect((await download(file, {})).status).toBe(401);
    const other = await (await download(file, undefined, "SomeOtherAccount")).text();
    expect(other.trimEnd().split("\n")).toHaveLength(1);
  });

  test("a day that has not begun on the simulated clock, an impossible date, or another file is a 404", async () => {
    const now = await simNow();
    expect((await download(fileOf(now + DAY))).status).toBe(404);
    expect((await download("payments_accounting_report_2024_02_30.csv")).status).toBe(404);
    expect((await download("settlement_detail_report_batch_1.csv")).status).toBe(404);
    const res = await download(fileOf(now));
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/csv; charset=utf-8"]);
  });

  test("only the merchant accounts the simulator allows: another is 403", async () => {
    const strict = startAdyenSimulator({ merchantAccounts: [MERCHANT] });
    try {
      const res = await fetch(`${strict.baseUrl}/reports/download/MerchantAccount/Nope/${fileOf(Date.now())}`, { headers: { "X-API-Key": "k" } });
      expect([res.status, ((await res.json()) as { errorCode: string }).errorCode]).toEqual([403, "901"]);
    } finally {
      await strict.stop();
    }
  });
});
