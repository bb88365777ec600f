import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../shared/config.ts";
import { topicCatalogue } from "../../shared/topics.ts";
import { loadDlqConfig } from "./config.ts";

const refusal = (env: Record<string, string>): string => {
  try {
    loadDlqConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe("DLQ consumer config", () => {
  test("defaults: every DLQ topic of the catalogue", () => {
    const c = loadDlqConfig({});
    expect(c).toEqual({
      topics: topicCatalogue().filter((t) => t.endsWith(".dlq")),
      alertTo: "ops@payments.local",
      alertFrom: "Payments alerts <alerts@payments.local>",
      alertIntervalMs: 60_000,
      metricsPort: 9473,
      metricsHost: "127.0.0.1",
      groupId: "dlq-consumer",
      logLevel: "info",
    });
    expect(c.topics.length).toBeGreaterThan(0);
  });

  test("what the integration tests set is accepted", () => {
    const c = loadDlqConfig({
      DLQ_TOPICS: "results.lz3k9ab1.dlq, other.dlq",
      GROUP_ID: "results.lz3k9ab1.dlq.g",
      ALERT_INTERVAL_MS: "1500",
      OPS_ALERT_EMAIL: "ops.lz3k@example.test",
    });
    expect(c).toMatchObject({
      topics: ["results.lz3k9ab1.dlq", "other.dlq"],
      groupId: "results.lz3k9ab1.dlq.g",
      alertIntervalMs: 1500,
      alertTo: "ops.lz3k@example.test",
    });
  });

  test.each([
    ["DLQ_TOPICS", "payments.created"],
    ["DLQ_TOPICS", ","],
    ["OPS_ALERT_EMAIL", "ops"],
    ["ALERT_FROM", "x\nBcc: y@z"],
    ["ALERT_INTERVAL_MS", "60000x"],
    ["ALERT_INTERVAL_MS", "99"],
    ["METRICS_PORT", "x"],
    ["GROUP_ID", "dlq consumer"],
    ["LOG_LEVEL", "INFO"],
  ])("%s=%p is refused, naming the variable", (name, value) => {
    expect(refusal({ [name]: value })).toStartWith(`${name} must be`);
  });
});
