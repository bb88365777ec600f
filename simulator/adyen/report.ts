/**
 * The Payment accounting report download, as a report user fetches it from the Customer Area
 * (docs.adyen.com/reporting/invoice-reconciliation/payment-accounting-report):
 *   GET /reports/download/MerchantAccount/{merchantAccount}/payments_accounting_report_{YYYY}_{MM}_{DD}.csv
 * with the `X-API-Key` the Checkout API takes (401 without). One CSV line per booking of the day
 * (bookings.ts), header line first, in a subset of Adyen's standard columns under their names
 * and in their order. Days are UTC days of the simulated clock and the TimeZone column says
 * UTC (Adyen uses the account's time zone setting). Main Amount is in major units with the
 * currency's decimals as Adyen counts them (Adyen's exponent: CLP and ISK have 2, IDR none).
 *
 * Adyen publishes a day's report once the day is over; the simulator writes it as the day
 * goes (today's holds the bookings so far), so a test or a reconciliation of the current day
 * sees them. A day that has not begun yet on the simulated clock is a 404, as a report not
 * generated yet is. Reports are not the Checkout API: no fault injection, no idempotency.
 */
import { adyenExponent } from "../../shared/connectors/adyen/amounts.ts";
import { json } from "../http.ts";
import { bookingsOf, type Booking } from "./bookings.ts";
import { errorJson, invalidMerchantAccount, unauthorized } from "./errors.ts";
import type { AdyenPayment } from "./payment.ts";
import type { AdyenState } from "./state.ts";

export const REPORT_PATH = /^\/reports\/download\/MerchantAccount\/([^/]{1,80})\/payments_accounting_report_(\d{4})_(\d{2})_(\d{2})\.csv$/;
export const COMPANY_ACCOUNT = "PayorchSimulatorCompany";
const DAY_MS = 24 * 60 * 60 * 1000;

export const REPORT_COLUMNS = [
  "Company Account",
  "Merchant Account",
  "Psp Reference",
  "Merchant Reference",
  "Payment Method",
  "Booking Date",
  "TimeZone",
  "Main Currency",
  "Main Amount",
  "Record Type",
  "Modification Psp Reference",
  "Modification Merchant Reference",
] as const;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** `20.00` for 2000 EUR; `2000` for 2000 IDR (no decimals at Adyen). */
export function majorUnits(value: number, currency: string): string {
  const exp = adyenExponent(currency);
  if (exp === 0) return String(value);
  const digits = String(Math.abs(value)).padStart(exp + 1, "0");
  return `${value < 0 ? "-" : ""}${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

const bookingDate = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

function line(p: AdyenPayment, b: Booking): string {
  return [
    COMPANY_ACCOUNT,
    p.merchantAccount,
    p.pspReference,
    p.merchantReference,
    p.paymentMethod.brand,
    bookingDate(b.at),
    "UTC",
    b.amount.currency,
    majorUnits(b.amount.value, b.amount.currency),
    b.type,
    b.modification?.pspReference ?? "",
    b.modification?.reference ?? "",
  ]
    .map(field)
    .join(",");
}

/** The report of the UTC day starting at `dayStart` for one merchant account, as far as `now`. */
export function paymentAccountingReport(payments: readonly AdyenPayment[], merchantAccount: string, dayStart: number, now: number): string {
  const rows = payments
    .filter((p) => p.merchantAccount === merchantAccount)
    .flatMap((p) => bookingsOf(p).map((b) => ({ p, b })))
    .filter(({ b }) => b.at >= dayStart && b.at < dayStart + DAY_MS && b.at <= now)
    .map((r, i) => ({ ...r, i }))
    .sort((x, y) => x.b.at - y.b.at || x.i - y.i);
  return `${[REPORT_COLUMNS.join(","), ...rows.map(({ p, b }) => line(p, b))].join("\n")}\n`;
}

const notGenerated = (file: string) => json(404, { status: 404, errorCode: "000", message: `Report ${file} not found`, errorType: "validation" });

export function handleReport(req: Request, path: string, state: AdyenState): Response {
  const m = REPORT_PATH.exec(path);
  const file = path.split("/").pop() ?? "";
  if (req.method !== "GET" || !m) return notGenerated(file);
  const key = req.headers.get("X-API-Key");
  if (key === null || key.trim() === "" || key.length > 1024) return errorJson(unauthorized());
  const account = decodeURIComponent(m[1]!);
  if (state.merchantAccounts && !state.merchantAccounts.has(account)) return errorJson(invalidMerchantAccount());
  const [y, mo, d] = [Number(m[2]), Number(m[3]), Number(m[4])];
  const dayStart = Date.UTC(y, mo - 1, d);
  const real = new Date(dayStart);
  if (real.getUTCFullYear() !== y || real.getUTCMonth() !== mo - 1 || real.getUTCDate() !== d) return notGenerated(file);
  state.settle();
  const now = state.now();
  if (dayStart > now) return notGenerated(file);
  return new Response(paymentAccountingReport(state.payments.all(), account, dayStart, now), {
    status: 200,
    headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${file}"` },
  });
}
