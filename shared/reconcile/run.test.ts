/**
 * One reconciliation end to end over stand-ins (a fake payments table, readers that return
 * fixed records): the windows each side is read over, the summary, the payments of other days
 * a gateway names, warnings, and the CSV.
 */
import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { Report, type GatewayRecord, type GatewayRead, type ReconcileSources, type Window } from "./model.ts";
import { parseCsv } from "./csv.ts";
import { CSV_COLUMNS, reconcile, toCsv } from "./run.ts";
import { fakePaymentsTable, gatewayRecord as record, paymentRow } from "./testing.ts";

const NOON = new Date("2024-05-03T12:00:00Z");
function reader(read: GatewayRead) {
  const windows: Window[] = [];
  return { windows, read: (w: Window) => (windows.push(w), Promise.resolve(read)) };
}

describe("reconcile", () => {
  test("reads each side over its window and sums up the mismatches by kind and connector", async () => {
    const { sql } = fakePaymentsTable([
      paymentRow({ id: "pay_1" }),
      paymentRow({ id: "pay_2", amount_captured: 2000 }),
      paymentRow({ id: "pay_3", connector: "adyen", gateway_intent_id: "PSP3" }),
      paymentRow({ id: "pay_late", created_at: new Date("2024-05-04T00:00:00Z") }),
    ]);
    const stripe = reader({
      records: [record(), record({ paymentId: "pay_2", ref: "pi_2", captured: 1500 }), record({ paymentId: "pay_ghost", ref: "pi_g" })],
      warnings: [],
    });
    const adyen = reader({ records: [], warnings: ["adyen: payments_accounting_report_2024_05_05.csv is not available (yet)"] });
    const report = await reconcile(sql, { stripe: stripe.read, adyen: adyen.read }, "2024-05-03");
    expect(stripe.windows).toEqual([{ from: new Date("2024-05-01T00:00:00Z"), to: new Date("2024-05-06T00:00:00Z") }]);
    expect(report.window).toEqual({
      platform: { from: "2024-05-03T00:00:00.000Z", to: "2024-05-04T00:00:00.000Z" },
      gateway: { from: "2024-05-01T00:00:00.000Z", to: "2024-05-06T00:00:00.000Z" },
    });
    expect(report.connectors).toEqual(["stripe", "adyen"]);
    expect(report.summary).toEqual({
      mismatches: 3,
      by_kind: { missing_locally: 1, missing_at_gateway: 1, amount_mismatch: 1 },
      by_connector: {
        stripe: { payments: 2, gateway_records: 3, missing_locally: 1, missing_at_gateway: 0, amount_mismatch: 1 },
        adyen: { payments: 1, gateway_records: 0, missing_locally: 0, missing_at_gateway: 1, amount_mismatch: 0 },
      },
      unchecked: {},
    });
    expect(report.mismatches.map((m) => [m.kind, m.connector, m.payment_id])).toEqual([
      ["missing_at_gateway", "adyen", "pay_3"],
      ["amount_mismatch", "stripe", "pay_2"],
      ["missing_locally", "stripe", "pay_ghost"],
    ]);
    expect(report.warnings).toEqual(["adyen: payments_accounting_report_2024_05_05.csv is not available (yet)"]);
    expect([...Value.Errors(Report, report)]).toEqual([]);
  });

  test("a record of the day naming a payment of another day is looked up, and agrees when it is at the same connector", async () => {
    const { sql, queries } = fakePaymentsTable([paymentRow({ id: "pay_old", created_at: new Date("2024-05-02T23:00:00Z") })]);
    const report = await reconcile(sql, { stripe: reader({ records: [record({ paymentId: "pay_old" })], warnings: [] }).read }, "2024-05-03");
    expect(report.summary.mismatches).toBe(0);
    expect(queries.some((q) => q.includes("ANY("))).toBe(true);
  });

  test("payments at a connector without a reader are counted as unchecked, not reported", async () => {
    const { sql } = fakePaymentsTable([paymentRow({ id: "pay_a", connector: "adyen" }), paymentRow({ id: "pay_n", connector: null, status: "PENDING" })]);
    const report = await reconcile(sql, { stripe: reader({ records: [], warnings: [] }).read }, "2024-05-03");
    expect([report.connectors, report.summary.unchecked, report.mismatches]).toEqual([["stripe"], { adyen: 1 }, []]);
  });

  test("a date that is not a day is refused before anything is read", async () => {
    const { sql, queries } = fakePaymentsTable([]);
    await expect(reconcile(sql, {} as ReconcileSources, "2024-02-30")).rejects.toThrow("date must be a day as YYYY-MM-DD");
    expect(queries).toEqual([]);
  });
});

describe("toCsv", () => {
  test("a header line, one line per mismatch, CRLF, quoted where RFC 4180 says; a missing side is empty", async () => {
    const { sql } = fakePaymentsTable([paymentRow({ id: "pay_2", status: "DENIED", amount_captured: 0 })]);
    const report = await reconcile(
      sql,
      { stripe: reader({ records: [record({ paymentId: "pay_2" }), record({ paymentId: "pay_x", ref: "pi_x" })], warnings: [] }).read },
      "2024-05-03",
    );
    const csv = toCsv(report);
    expect(csv.endsWith("\r\n")).toBe(true);
    const [header, ...rows] = parseCsv(csv);
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows).toEqual([
      [
        "amount_mismatch",
        "stripe",
        "pay_2",
        "pi_1",
        "USD",
        "DENIED",
        "2000",
        "0",
        "0",
        "captured",
        "2000",
        "2000",
        "0",
        "authorized 0 here (DENIED), 2000 at stripe; captured 0 here, 2000 at stripe",
      ],
      [
        "missing_locally",
        "stripe",
        "pay_x",
        "pi_x",
        "USD",
        "",
        "",
        "",
        "",
        "captured",
        "2000",
        "2000",
        "0",
        "stripe holds pi_x (authorized 2000, captured 2000, refunded 0) for pay_x, unknown here",
      ],
    ]);
    expect(csv.split("\r\n")[2]).toContain('"stripe holds pi_x (authorized 2000, captured 2000, refunded 0) for pay_x, unknown here"');
  });
});
