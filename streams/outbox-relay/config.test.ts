import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../shared/config.ts";
import { loadRelayConfig } from "./config.ts";

const refusal = (env: Record<string, string>): string => {
  try {
    loadRelayConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe("outbox relay config", () => {
  test("defaults", () => {
    expect(loadRelayConfig({})).toEqual({
      serviceName: "outbox-relay",
      batchSize: 500,
      pollMs: 500,
      keepMinutes: 60,
      metricsPort: 9470,
      metricsHost: "127.0.0.1",
      logLevel: "info",
    });
  });

  test("each setting from its variable", () => {
    const c = loadRelayConfig({
      SERVICE_NAME: "relay-2",
      RELAY_BATCH_SIZE: "50",
      RELAY_POLL_MS: "20",
      OUTBOX_KEEP_MINUTES: "0",
      METRICS_PORT: "0",
      METRICS_HOST: "0.0.0.0",
      LOG_LEVEL: "warn",
    });
    expect(c).toEqual({ serviceName: "relay-2", batchSize: 50, pollMs: 20, keepMinutes: 0, metricsPort: 0, metricsHost: "0.0.0.0", logLevel: "warn" });
  });

  test.each([
    ["RELAY_BATCH_SIZE", "500x"],
    ["RELAY_BATCH_SIZE", "0"],
    ["RELAY_BATCH_SIZE", "10001"],
    ["RELAY_POLL_MS", "5"],
    ["RELAY_POLL_MS", "abc"],
    ["OUTBOX_KEEP_MINUTES", "-1"],
    ["METRICS_PORT", "9470.0"],
    ["METRICS_HOST", "a host"],
    ["SERVICE_NAME", "outbox relay"],
    ["LOG_LEVEL", "loud"],
  ])("%s=%p is refused, naming the variable", (name, value) => {
    expect(refusal({ [name]: value })).toStartWith(`${name} must be`);
  });
});
