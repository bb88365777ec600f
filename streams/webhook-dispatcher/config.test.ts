/** The dispatcher refuses to start on a bad setting, naming it. */
import { expect, test } from "bun:test";
import { ConfigError } from "../../shared/env.ts";
import { loadDispatcherConfig } from "./config.ts";

test("defaults: the production schedule, three days, 10 s, its own metrics port", () => {
  const c = loadDispatcherConfig({});
  expect(c.schedule).toEqual([60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000]);
  expect(c.giveUpAfterMs).toBe(3 * 86_400_000);
  expect(c.disableAfterMs).toBe(5 * 86_400_000);
  expect(c.retentionMs).toBe(30 * 86_400_000);
  expect(c.timeoutMs).toBe(10_000);
  expect(c.metricsPort).toBe(9474);
  expect(c.pool).toBe("default");
  expect(c.devMode).toBe(false);
});

test("a test schedule and dev mode by environment", () => {
  const c = loadDispatcherConfig({ WEBHOOK_RETRY_SCHEDULE: "1s,2s,3s", WEBHOOK_GIVE_UP_AFTER: "20s", PAYORCH_DEV_MODE: "1", WEBHOOK_LOOPBACK_ONLY: "1" });
  expect(c.schedule).toEqual([1_000, 2_000, 3_000]);
  expect(c.giveUpAfterMs).toBe(20_000);
  expect(c.devMode && c.loopbackOnly).toBe(true);
});

test.each([
  [{ WEBHOOK_RETRY_SCHEDULE: "1s,x" }, "WEBHOOK_RETRY_SCHEDULE"],
  [{ WEBHOOK_GIVE_UP_AFTER: "3 days" }, "WEBHOOK_GIVE_UP_AFTER"],
  [{ WEBHOOK_GIVE_UP_AFTER: "40d" }, "WEBHOOK_EVENT_RETENTION"],
  [{ WEBHOOK_TIMEOUT_MS: "10" }, "WEBHOOK_TIMEOUT_MS"],
  [{ WEBHOOK_POOL: "a b" }, "WEBHOOK_POOL"],
  [{ WEBHOOK_LOOPBACK_ONLY: "1" }, "WEBHOOK_LOOPBACK_ONLY"],
  [{ PAYORCH_DEV_MODE: "yes" }, "PAYORCH_DEV_MODE"],
])("%o is refused by name", (env, name) => {
  expect(() => loadDispatcherConfig(env)).toThrow(ConfigError);
  expect(() => loadDispatcherConfig(env)).toThrow(name);
});
