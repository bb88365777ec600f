/** The retry schedule, the give-up age and the disable rule, on explicit times. */
import { describe, expect, test } from "bun:test";
import { afterFailure, DEFAULT_GIVE_UP_AFTER, DEFAULT_SCHEDULE, delayAfter, parseDuration, parseSchedule, shouldDisable } from "./schedule.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe("parsing", () => {
  test("durations", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1s")).toBe(1_000);
    expect(parseDuration("5m")).toBe(5 * MIN);
    expect(parseDuration("2h")).toBe(2 * HOUR);
    expect(parseDuration("3d")).toBe(3 * DAY);
    for (const bad of ["", "5", "1.5s", "-1s", "1w", "s"]) expect(parseDuration(bad)).toBeUndefined();
  });

  test("schedules", () => {
    expect(parseSchedule(DEFAULT_SCHEDULE)).toEqual([MIN, 5 * MIN, 30 * MIN, 2 * HOUR, 6 * HOUR, 12 * HOUR]);
    expect(parseSchedule("1s, 2s,3s")).toEqual([1_000, 2_000, 3_000]);
    expect(parseSchedule("1s,,2s")).toBeUndefined();
    expect(parseSchedule("0s")).toBeUndefined();
  });
});

describe("retries", () => {
  const schedule = parseSchedule(DEFAULT_SCHEDULE)!;
  const giveUpAfterMs = parseDuration(DEFAULT_GIVE_UP_AFTER)!;

  test("the delay grows with each failure, then repeats the last step", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => delayAfter(n, schedule))).toEqual([
      MIN,
      5 * MIN,
      30 * MIN,
      2 * HOUR,
      6 * HOUR,
      12 * HOUR,
      12 * HOUR,
      12 * HOUR,
    ]);
  });

  test("an endpoint that never answers is tried for at least three days, then given up", () => {
    const first = new Date("2026-12-01T00:00:00Z");
    let now = first;
    const attemptsAt: number[] = [0];
    for (let attempts = 1; ; attempts++) {
      const next = afterFailure({ attempts, firstAttemptAt: first, now, schedule, giveUpAfterMs });
      if (next.kind === "give_up") break;
      now = next.at;
      attemptsAt.push(now.getTime() - first.getTime());
    }
    const last = attemptsAt.at(-1)!;
    expect(last).toBeGreaterThanOrEqual(3 * DAY);
    expect(last).toBeLessThan(3 * DAY + 12 * HOUR);
    // 0, 1m, 6m, 36m, 2h36m, 8h36m, then every 12 h up to 80h36m.
    expect(attemptsAt.length).toBe(12);
  });

  test("a short test schedule gives up by age, however many attempts that takes", () => {
    const s = parseSchedule("1s,2s,3s")!;
    const first = new Date(0);
    expect(afterFailure({ attempts: 3, firstAttemptAt: first, now: new Date(5_000), schedule: s, giveUpAfterMs: 20_000 })).toEqual({
      kind: "retry",
      at: new Date(8_000),
    });
    expect(afterFailure({ attempts: 9, firstAttemptAt: first, now: new Date(20_000), schedule: s, giveUpAfterMs: 20_000 })).toEqual({ kind: "give_up" });
  });
});

test("an endpoint is disabled once it has failed for the whole window", () => {
  const since = new Date("2026-12-01T00:00:00Z");
  expect(shouldDisable(since, new Date(since.getTime() + 5 * DAY - 1), 5 * DAY)).toBe(false);
  expect(shouldDisable(since, new Date(since.getTime() + 5 * DAY), 5 * DAY)).toBe(true);
});
