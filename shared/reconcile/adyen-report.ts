/**
 * Adyen's Payment accounting report, read into GatewayRecords. Pure. The report has one line
 * per booking (a status change of a payment: Received, Authorised, Refused, Error,
 * SentForSettle, Settled, Cancelled, Expired, SentForRefund, Refunded, RefundFailed, …;
 * docs.adyen.com/reporting/reports-and-the-payments-lifecycle), under Adyen's column names
 * (docs.adyen.com/reporting/invoice-reconciliation/payment-accounting-report). What is read:
 * Psp Reference (the payment), Merchant Reference (our payment id), Booking Date in the
 * TimeZone column's zone, Main Currency and Main Amount (major units, Adyen's decimals for the
 * currency), Record Type, and Modification Psp Reference for captures and refunds.
 *
 * A payment is a record when its Received booking lies in the window (it was created then);
 * bookings of payments received earlier are left out, as Stripe's list by creation time
 * leaves out their intents. Per payment: authorized is the Authorised amount until Cancelled
 * or Expired; captured sums SentForSettle (Settled books the same money again, later);
 * a refund is pending from SentForRefund, succeeded once Refunded, failed once RefundFailed.
 * Record types that move money otherwise (chargebacks and the like) are not counted and are
 * named in a warning.
 */
import { adyenExponent, fromAdyenAmount } from "../connectors/adyen/amounts.ts";
import { parseCsv } from "./csv.ts";
import { ReconcileError, type GatewayRecord, type GatewayRefundRecord, type GatewayStatus, type Window } from "./model.ts";

export type ReportBooking = {
  readonly psp: string;
  readonly merchantReference: string;
  readonly at: Date;
  readonly currency: string;
  /** Our minor units; magnitudes (a report may sign what goes back to the shopper). */
  readonly amount: number;
  readonly type: string;
  readonly modificationPsp: string | null;
};

const REQUIRED = ["Psp Reference", "Merchant Reference", "Booking Date", "TimeZone", "Main Currency", "Main Amount", "Record Type"] as const;
/** Booked, but counted through another booking of the same money, or moving none. */
const NOT_COUNTED = new Set([
  "Settled",
  "SettledBulk",
  "SettledExternally",
  "SettledExternallyWithInfo",
  "SettledInInstallments",
  "SettledInstallment",
  "CaptureFailed",
  "RefundedBulk",
]);
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;
const OFFSET = /^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})$/;

/** Main Amount (`20.00` EUR, `150000` IDR) in our minor units, exactly. */
export function minorUnits(text: string, currency: string): number {
  const m = DECIMAL.exec(text.trim());
  const exp = adyenExponent(currency);
  if (!m || (m[3]?.length ?? 0) > exp)
    throw new ReconcileError(`Main Amount ${JSON.stringify(text)} is not an amount in ${currency} with at most ${exp} decimals`);
  const magnitude = Number(m[2]) * 10 ** exp + Number((m[3] ?? "").padEnd(exp, "0") || "0");
  const value = m[1] === "-" ? -magnitude : magnitude;
  const ours = fromAdyenAmount({ value, currency });
  if (ours === undefined) throw new ReconcileError(`Main Amount ${text} ${currency} has no exact value in the platform's minor units`);
  return ours.value;
}

/** The zone's offset from UTC at `utcMs`, in ms (what a clock there shows minus UTC). */
function zoneOffsetMs(zone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second")) - Math.floor(utcMs / 1000) * 1000;
}

/** Booking Date (`2024-05-03 14:02:11`) read in the TimeZone column's zone: UTC, an offset (`+01:00`), or a zone name (`Europe/Amsterdam`, `CET`). */
export function bookingTime(local: string, zone: string): Date {
  const m = LOCAL_TIME.exec(local.trim());
  if (!m) throw new ReconcileError(`Booking Date ${JSON.stringify(local)} is not YYYY-MM-DD HH:MM:SS`);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const z = zone.trim();
  if (z === "UTC" || z === "GMT" || z === "Etc/UTC") return new Date(wall);
  const off = OFFSET.exec(z);
  if (off) return new Date(wall - (off[1] === "-" ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3])) * 60_000);
  try {
    const first = wall - zoneOffsetMs(z, wall);
    return new Date(wall - zoneOffsetMs(z, first));
  } catch {
    throw new ReconcileError(`TimeZone ${JSON.stringify(zone)} is not a time zone this reader knows: set the report's time zone to UTC`);
  }
}

/** The report's lines as bookings; `file` names the report in an error. */
export function parseReport(text: string, file: string): ReportBooking[] {
  const [header, ...lines] = parseCsv(text.replace(/^\uFEFF/, ""));
  if (!header) return [];
  const col = new Map(header.map((h, i) => [h.trim(), i]));
  const missing = REQUIRED.filter((c) => !col.has(c));
  if (missing.length > 0) throw new ReconcileError(`${file} has no column ${missing.join(", ")}`);
  const get = (line: string[], c: string) => line[col.get(c) ?? -1]?.trim() ?? "";
  return lines
    .filter((l) => l.some((f) => f.trim() !== ""))
    .map((l, i) => {
      try {
        const currency = get(l, "Main Currency").toUpperCase();
        return {
          psp: get(l, "Psp Reference"),
          merchantReference: get(l, "Merchant Reference"),
          at: bookingTime(get(l, "Booking Date"), get(l, "TimeZone")),
          currency,
          amount: Math.abs(minorUnits(get(l, "Main Amount"), currency)),
          type: get(l, "Record Type"),
          modificationPsp: get(l, "Modification Psp Reference") || null,
        };
      } catch (err) {
        throw new ReconcileError(`${file}, line ${i + 2}: ${(err as Error).message}`);
      }
    });
}

function statusOf(f: { declined: boolean; canceled: boolean; authorized: number; captured: number }): GatewayStatus {
  if (f.declined) return "declined";
  if (f.captured > 0) return "captured";
  if (f.canceled) return "canceled";
  return f.authorized > 0 ? "authorized" : "pending";
}

function recordOf(list: readonly ReportBooking[], warn: (w: string) => void): GatewayRecord | null {
  const received = list.find((b) => b.type === "Received");
  if (!received) return null;
  let authorized = 0;
  let captured = 0;
  let declined = false;
  let canceled = false;
  const refunds = new Map<string, { ref: string; refundId: null; amount: number; status: GatewayRefundRecord["status"] }>();
  const refund = (b: ReportBooking, status: GatewayRefundRecord["status"]) => {
    const ref = b.modificationPsp ?? `${b.psp}/refund/${refunds.size + 1}`;
    refunds.set(ref, { ref, refundId: null, amount: refunds.get(ref)?.amount ?? b.amount, status });
  };
  for (const b of list) {
    if (b.type === "Authorised") authorized = b.amount;
    else if (b.type === "Refused" || b.type === "Error") declined = true;
    else if (b.type === "SentForSettle") captured += b.amount;
    else if (b.type === "Cancelled" || b.type === "Expired") canceled = true;
    else if (b.type === "SentForRefund") refund(b, "pending");
    else if (b.type === "Refunded") refund(b, "succeeded");
    else if (b.type === "RefundFailed") refund(b, "failed");
    else if (b.type !== "Received" && !NOT_COUNTED.has(b.type))
      warn(`adyen: ${b.psp} (${b.merchantReference}) has a ${b.type} booking, which reconciliation does not count`);
  }
  if (canceled || declined) authorized = 0;
  const rs = [...refunds.values()];
  return {
    connector: "adyen",
    ref: received.psp,
    paymentId: received.merchantReference || null,
    currency: received.currency,
    authorized,
    captured,
    refunded: rs.filter((r) => r.status === "succeeded").reduce((n, r) => n + r.amount, 0),
    status: statusOf({ declined, canceled, authorized, captured }),
    detail: list.at(-1)!.type,
    createdAt: received.at,
    refunds: rs,
  };
}

/** One record per payment received in the window, from its bookings in the window, in booking order. */
export function recordsFromBookings(bookings: readonly ReportBooking[], w: Window): { records: GatewayRecord[]; warnings: string[] } {
  const warnings: string[] = [];
  const byPsp = new Map<string, ReportBooking[]>();
  const inWindow = bookings.filter((b) => b.at >= w.from && b.at < w.to).map((b, i) => ({ b, i }));
  for (const { b } of inWindow.sort((x, y) => x.b.at.getTime() - y.b.at.getTime() || x.i - y.i)) byPsp.set(b.psp, [...(byPsp.get(b.psp) ?? []), b]);
  const records = [...byPsp.values()].map((list) => recordOf(list, (m) => warnings.push(m))).filter((r): r is GatewayRecord => r !== null);
  return { records, warnings };
}
