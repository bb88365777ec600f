/**
 * The day being reconciled and the windows around it, in UTC. The platform's payments of day
 * D are matched against the gateways' records created in [D − 2 days, D + 3 days): a
 * gateway's clock may run ahead of ours (a simulated one does by design, chaos runs advance it
 * by 25 h) or behind, and a payment's retries and its captures and refunds come after it.
 */
import type { Window } from "./model.ts";

export const DAY_MS = 24 * 60 * 60 * 1000;
export const GATEWAY_DAYS_BEFORE = 2;
export const GATEWAY_DAYS_AFTER = 3;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The UTC midnight of `YYYY-MM-DD`, or null for anything else (2024-02-30 included). */
export function parseDay(text: string): Date | null {
  const m = DATE.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d ? day : null;
}

export const formatDay = (day: Date): string => day.toISOString().slice(0, 10);

/** Yesterday's UTC midnight, as of `now`. */
export function yesterday(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - DAY_MS);
}

export function windowsOf(day: Date): { platform: Window; gateway: Window } {
  const t = day.getTime();
  return {
    platform: { from: day, to: new Date(t + DAY_MS) },
    gateway: { from: new Date(t - GATEWAY_DAYS_BEFORE * DAY_MS), to: new Date(t + GATEWAY_DAYS_AFTER * DAY_MS) },
  };
}

/** The UTC midnights of every day the window touches, in order. */
export function daysOf(w: Window): Date[] {
  const out: Date[] = [];
  const first = Date.UTC(w.from.getUTCFullYear(), w.from.getUTCMonth(), w.from.getUTCDate());
  for (let t = first; t < w.to.getTime(); t += DAY_MS) out.push(new Date(t));
  return out;
}
