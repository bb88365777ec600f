/**
 * Reading Adyen's Payment accounting report (adyen-report.ts) from text, as Adyen may write
 * it: booking times in the report's time zone, Main Amount with Adyen's decimals, quoting,
 * a BOM, CRLF, columns in any order, record types it does not count.
 */
import { describe, expect, test } from "bun:test";
import { bookingTime, minorUnits, parseReport, recordsFromBookings } from "./adyen-report.ts";
import { ReconcileError } from "./model.ts";

const WINDOW = { from: new Date("2024-05-01T00:00:00Z"), to: new Date("2024-05-06T00:00:00Z") };
const HEADER =
  "Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,Booking Date,TimeZone,Main Currency,Main Amount,Record Type,Modification Psp Reference,Modification Merchant Reference";
const line = (psp: string, ref: string, at: string, amount: string, type: string, mod = "", currency = "EUR") =>
  `Co,Acc,${psp},${ref},visa,${at},UTC,${currency},${amount},${type},${mod},`;
const report = (...lines: string[]) => `${[HEADER, ...lines].join("\n")}\n`;
const records = (text: string) => recordsFromBookings(parseReport(text, "test.csv"), WINDOW);

describe("bookingTime", () => {
  test("UTC, an offset, or a zone name (daylight saving included)", () => {
    expect(bookingTime("2024-05-03 14:02:11", "UTC")).toEqual(new Date("2024-05-03T14:02:11Z"));
    expect(bookingTime("2024-05-03 14:02:11", "+02:00")).toEqual(new Date("2024-05-03T12:02:11Z"));
    expect(bookingTime("2024-05-03 14:02:11", "GMT-0130")).toEqual(new Date("2024-05-03T15:32:11Z"));
    expect(bookingTime("2024-05-03 14:02:11", "Europe/Amsterdam")).toEqual(new Date("2024-05-03T12:02:11Z"));
    expect(bookingTime("2024-01-03 14:02:11", "CET")).toEqual(new Date("2024-01-03T13:02:11Z"));
  });

  test("what it cannot read names the value", () => {
    expect(() => bookingTime("03/05/2024 14:02", "UTC")).toThrow(ReconcileError);
    expect(() => bookingTime("2024-05-03 14:02:11", "Mars/Olympus")).toThrow('TimeZone "Mars/Olympus"');
  });
});

describe("minorUnits", () => {
  test.each([
    ["20.00", "EUR", 2000],
    ["0.05", "EUR", 5],
    ["20", "EUR", 2000],
    ["-5.00", "EUR", -500],
    ["2000", "JPY", 2000],
    ["1500", "IDR", 150_000],
    ["2000.00", "ISK", 2000],
  ])("%s %s → %d of ours", (text, currency, ours) => {
    expect(minorUnits(text, currency)).toBe(ours);
  });

  test("more decimals than the currency has, no number, or what ours cannot express are refused", () => {
    expect(() => minorUnits("20.001", "EUR")).toThrow(ReconcileError);
    expect(() => minorUnits("20,00", "EUR")).toThrow(ReconcileError);
    expect(() => minorUnits("20.5", "JPY")).toThrow("at most 0 decimals");
    expect(() => minorUnits("2000.50", "ISK")).toThrow("no exact value");
  });
});

describe("parseReport and recordsFromBookings", () => {
  test("a payment's bookings become one record: Settled is not counted twice, refunds follow their modification", () => {
    const {
      records: [r],
      warnings,
    } = records(
      report(
        line("PSP1", "pay_1", "2024-05-03 10:00:00", "20.00", "Received"),
        line("PSP1", "pay_1", "2024-05-03 10:00:00", "20.00", "Authorised"),
        line("PSP1", "pay_1", "2024-05-03 10:00:00", "20.00", "SentForSettle"),
        line("PSP1", "pay_1", "2024-05-04 10:00:00", "20.00", "Settled"),
        line("PSP1", "pay_1", "2024-05-04 11:00:00", "5.00", "SentForRefund", "MOD1"),
        line("PSP1", "pay_1", "2024-05-04 11:00:00", "5.00", "Refunded", "MOD1"),
        line("PSP1", "pay_1", "2024-05-04 12:00:00", "3.00", "SentForRefund", "MOD2"),
      ),
    );
    expect(warnings).toEqual([]);
    expect(r).toEqual({
      connector: "adyen",
      ref: "PSP1",
      paymentId: "pay_1",
      currency: "EUR",
      authorized: 2000,
      captured: 2000,
      refunded: 500,
      status: "captured",
      detail: "SentForRefund",
      createdAt: new Date("2024-05-03T10:00:00Z"),
      refunds: [
        { ref: "MOD1", refundId: null, amount: 500, status: "succeeded" },
        { ref: "MOD2", refundId: null, amount: 300, status: "pending" },
      ],
    });
  });

  test("a refund that failed after it was refunded counts as failed; a cancelled or expired authorisation holds nothing", () => {
    const { records: rs } = records(
      report(
        line("PSP1", "pay_1", "2024-05-03 10:00:00", "20.00", "Received"),
        line("PSP1", "pay_1", "2024-05-03 10:00:00", "20.00", "Authorised"),
        line("PSP1", "pay_1", "2024-05-03 10:00:00", "20.00", "SentForSettle"),
        line("PSP1", "pay_1", "2024-05-03 11:00:00", "20.00", "SentForRefund", "MOD1"),
        line("PSP1", "pay_1", "2024-05-03 11:00:00", "20.00", "Refunded", "MOD1"),
        line("PSP1", "pay_1", "2024-05-03 12:00:00", "20.00", "RefundFailed", "MOD1"),
        line("PSP2", "pay_2", "2024-05-03 10:00:00", "20.00", "Received"),
        line("PSP2", "pay_2", "2024-05-03 10:00:00", "20.00", "Authorised"),
        line("PSP2", "pay_2", "2024-05-03 11:00:00", "20.00", "Expired"),
        line("PSP3", "pay_3", "2024-05-03 10:00:00", "20.00", "Received"),
        line("PSP3", "pay_3", "2024-05-03 10:00:00", "20.00", "Error"),
      ),
    );
    expect(rs.map((r) => [r.paymentId, r.status, r.authorized, r.captured, r.refunded])).toEqual([
      ["pay_1", "captured", 2000, 2000, 0],
      ["pay_2", "canceled", 0, 0, 0],
      ["pay_3", "declined", 0, 0, 0],
    ]);
  });

  test("a payment received before the window is left out, with its bookings in the window", () => {
    const { records: rs } = records(
      report(
        line("PSP0", "pay_0", "2024-04-30 23:59:59", "20.00", "Received"),
        line("PSP0", "pay_0", "2024-05-01 00:00:01", "20.00", "SentForRefund", "MOD0"),
        line("PSP1", "pay_1", "2024-05-01 00:00:00", "20.00", "Received"),
      ),
    );
    expect(rs.map((r) => r.ref)).toEqual(["PSP1"]);
  });

  test("a record type that moves money otherwise is named in a warning and not counted", () => {
    const {
      records: [r],
      warnings,
    } = records(
      report(
        line("PSP1", "pay_1", "2024-05-03 10:00:00", "20.00", "Received"),
        line("PSP1", "pay_1", "2024-05-03 10:00:00", "20.00", "SentForSettle"),
        line("PSP1", "pay_1", "2024-05-05 10:00:00", "20.00", "Chargeback"),
      ),
    );
    expect(r!.captured).toBe(2000);
    expect(warnings).toEqual(["adyen: PSP1 (pay_1) has a Chargeback booking, which reconciliation does not count"]);
  });

  test("a BOM, CRLF, quoted fields and columns in another order are read; a missing column is named", () => {
    const text =
      "\uFEFFRecord Type,Main Amount,Main Currency,TimeZone,Booking Date,Merchant Reference,Psp Reference\r\n" +
      'Received,20.00,EUR,UTC,2024-05-03 10:00:00,"ord,""1""",PSP1\r\n';
    expect(records(text).records[0]).toMatchObject({ ref: "PSP1", paymentId: 'ord,"1"', authorized: 0, status: "pending" });
    expect(() => parseReport("Psp Reference,Record Type\nPSP1,Received\n", "f.csv")).toThrow(
      "f.csv has no column Merchant Reference, Booking Date, TimeZone, Main Currency, Main Amount",
    );
    expect(() => parseReport(report(line("PSP1", "pay_1", "2024-05-03 10:00:00", "twenty", "Received")), "f.csv")).toThrow("f.csv, line 2: Main Amount");
  });
});
