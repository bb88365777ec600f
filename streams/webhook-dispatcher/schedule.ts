/**
 * When a failed webhook is tried again, when it is given up, and when its endpoint is
 * disabled: pure functions of the attempt count and the times, so the policy is unit-tested
 * and every dispatcher applies the same one. Times are the database's clock (the store reads
 * it), never the dispatcher's.
 */

/** Delays between attempts of one round, in ms; the last one repeats until the give-up age. */
export type RetrySchedule = readonly number[];

/** 1 min, 5 min, 30 min, 2 h, 6 h, then every 12 h: 12 attempts over 3 days and a bit (the last at 80.6 h). */
export const DEFAULT_SCHEDULE = "1m,5m,30m,2h,6h,12h";
export const DEFAULT_GIVE_UP_AFTER = "3d";
export const DEFAULT_DISABLE_AFTER = "5d";

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "30s", "5m", "2h", "3d" → ms; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2]!]!;
}

export function parseSchedule(text: string): RetrySchedule | undefined {
  const parts = text.split(",").map((p) => parseDuration(p));
  if (parts.length === 0 || parts.length > 50 || parts.some((d) => d === undefined || d <= 0)) return undefined;
  return parts as number[];
}

/** The delay after the n-th failed attempt of a round (n ≥ 1). */
export const delayAfter = (failedAttempts: number, schedule: RetrySchedule): number => schedule[Math.min(Math.max(failedAttempts, 1), schedule.length) - 1]!;

export type AfterFailure = { kind: "retry"; at: Date } | { kind: "give_up" };

/**
 * After a failed attempt: retry after the schedule's delay until the round has lasted
 * `giveUpAfterMs` since its first attempt; the first failure at or past that age gives up.
 * So the last attempt is never earlier than the give-up age: "retried for at least N days".
 */
export function afterFailure(p: { attempts: number; firstAttemptAt: Date; now: Date; schedule: RetrySchedule; giveUpAfterMs: number }): AfterFailure {
  if (p.now.getTime() - p.firstAttemptAt.getTime() >= p.giveUpAfterMs) return { kind: "give_up" };
  return { kind: "retry", at: new Date(p.now.getTime() + delayAfter(p.attempts, p.schedule)) };
}

/** An endpoint whose attempts have all failed since `failingSince` for this long is disabled. */
export const shouldDisable = (failingSince: Date, now: Date, disableAfterMs: number): boolean => now.getTime() - failingSince.getTime() >= disableAfterMs;
