/**
 * How a create's capture_method and capture_before become the payment's: an automatic
 * payment has no deadline (and may not ask for one); a manual one is voided when its
 * deadline passes, which is what it asks for (in the future, at most the capture window
 * ahead: the gateway lets an authorization lapse after seven days) or the window's end.
 */
import { badRequest } from "../../shared/http-errors.ts";

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an RFC 3339 date-time names, or undefined when it names none (February 30,
 * hour 24, a leap second, offset +25:00). Date.parse would roll some of these over to a
 * neighbouring day. Fractions below a millisecond are dropped, as the stored value has ms.
 */
export function parseTimestamp(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (!m[8]) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day); // years below 100 too, unlike Date.UTC
  utc.setUTCHours(hour, minute, second, ms);
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}

/** The payment's capture_method and capture_before, or a 400 naming capture_before. */
export function captureTerms(
  b: { capture_method?: "automatic" | "manual"; capture_before?: string },
  now: Date,
  windowHours: number,
): { captureMethod: "automatic" | "manual"; captureBefore: Date | null } {
  const captureMethod = b.capture_method ?? "automatic";
  const latest = new Date(now.getTime() + windowHours * 3_600_000);
  if (b.capture_before === undefined) return { captureMethod, captureBefore: captureMethod === "manual" ? latest : null };
  if (captureMethod !== "manual") {
    throw badRequest("parameter_invalid", "Invalid capture_before: only a payment with capture_method manual has one.", "capture_before");
  }
  const at = parseTimestamp(b.capture_before);
  if (!at) throw badRequest("parameter_invalid", "Invalid capture_before: must be a date-time such as 2030-01-31T12:00:00Z.", "capture_before");
  if (at.getTime() <= now.getTime() || at.getTime() > latest.getTime()) {
    throw badRequest("parameter_invalid", `Invalid capture_before: must be in the future and at most ${windowHours} hours from now.`, "capture_before");
  }
  return { captureMethod, captureBefore: at };
}
