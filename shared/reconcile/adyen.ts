/**
 * Adyen's side of a reconciliation. Adyen has no API that lists payments; what a real
 * integration reconciles from is its reports, so this downloads the daily Payment accounting
 * report of every day the window touches, as a report user does:
 *   GET {base}/reports/download/MerchantAccount/{account}/payments_accounting_report_YYYY_MM_DD.csv
 * with the API key in `X-API-Key`. `base` is the Customer Area of Adyen's test environment
 * (https://ca-test.adyen.com, certificates verified) or, with ADYEN_API_BASE, the simulator's
 * loopback URL (plain HTTP: no TLS at all, so none to weaken). adyen-report.ts reads the files.
 *
 * A report that is not out yet answers 404: Adyen publishes a day's report after the day
 * closes, so the last days of a recent window are usually missing. Those days are skipped
 * with a warning (their bookings are not seen: a capture or refund booked then shows as a
 * difference until the report is out); any other failure stops the reconciliation. Days are
 * UTC days: the merchant account's report time zone should be UTC, or bookings near midnight
 * fall into a neighbouring file (rows are filtered by their own time, so nothing is counted
 * twice, but the first or last hours of the window may be missed).
 */
import type { AdyenSettings } from "../connectors/adyen/config.ts";
import { parseReport, recordsFromBookings, type ReportBooking } from "./adyen-report.ts";
import { daysOf } from "./days.ts";
import { ReconcileError, type GatewayRead, type Window } from "./model.ts";

export const ADYEN_REPORTS_TEST_BASE = "https://ca-test.adyen.com";

export const reportFile = (day: Date): string => `payments_accounting_report_${day.toISOString().slice(0, 10).replaceAll("-", "_")}.csv`;

async function download(settings: AdyenSettings, file: string, doFetch: typeof fetch): Promise<string | null> {
  const base = (settings.adyenApiBase ?? ADYEN_REPORTS_TEST_BASE).replace(/\/+$/, "");
  const url = `${base}/reports/download/MerchantAccount/${encodeURIComponent(settings.adyenMerchantAccount)}/${file}`;
  let res: Response;
  try {
    res = await doFetch(url, { headers: { "X-API-Key": settings.adyenApiKey }, redirect: "error", signal: AbortSignal.timeout(settings.adyenTimeoutMs) });
  } catch (err) {
    throw new ReconcileError(`adyen: the download of ${file} failed (${(err as Error).name}: ${(err as Error).message})`, { cause: err });
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok) {
    await res.body?.cancel();
    const why = res.status === 401 || res.status === 403 ? ": check ADYEN_API_KEY (a report user's key) and ADYEN_MERCHANT_ACCOUNT" : "";
    throw new ReconcileError(`adyen: the download of ${file} was refused with HTTP ${res.status}${why}`);
  }
  return res.text();
}

/** Adyen's records of the window: one per payment received in it, with what its bookings in the window say. */
export async function readAdyenRecords(settings: AdyenSettings, window: Window, opts: { fetch?: typeof fetch } = {}): Promise<GatewayRead> {
  const doFetch = opts.fetch ?? fetch;
  const bookings: ReportBooking[] = [];
  const warnings: string[] = [];
  for (const day of daysOf(window)) {
    const file = reportFile(day);
    const text = await download(settings, file, doFetch);
    if (text === null) warnings.push(`adyen: ${file} is not available (yet): bookings of ${day.toISOString().slice(0, 10)} are not compared`);
    else bookings.push(...parseReport(text, file));
  }
  const read = recordsFromBookings(bookings, window);
  return { records: read.records, warnings: [...warnings, ...read.warnings] };
}
