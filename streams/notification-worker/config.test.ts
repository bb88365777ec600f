import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../shared/config.ts";
import { Topics } from "../../shared/topics.ts";
import { loadNotificationConfig } from "./config.ts";

const refusal = (env: Record<string, string>): string => {
  try {
    loadNotificationConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe("notification worker config", () => {
  test("defaults", () => {
    expect(loadNotificationConfig({})).toEqual({
      metricsPort: 9472,
      metricsHost: "127.0.0.1",
      concurrency: 16,
      smtpPoolSize: 5,
      smtpConnectTimeoutMs: 5_000,
      smtpSocketTimeoutMs: 15_000,
      commitIntervalMs: 1000,
      from: "Payments <no-reply@payments.local>",
      messageIdDomain: "payments.local",
      sourceTopic: Topics.paymentsResults,
      groupId: "notification-worker",
      keepSentHours: 168,
      logLevel: "info",
    });
  });

  test("what the integration tests set is accepted", () => {
    const c = loadNotificationConfig({
      SOURCE_TOPIC: "results.lz3k9ab1",
      GROUP_ID: "results.lz3k9ab1.g",
      CONCURRENCY: "4",
      SMTP_POOL_SIZE: "2",
      COMMIT_MS: "500",
      SMTP_CONNECT_TIMEOUT_MS: "1000",
      METRICS_PORT: "0",
    });
    expect(c).toMatchObject({
      sourceTopic: "results.lz3k9ab1",
      groupId: "results.lz3k9ab1.g",
      concurrency: 4,
      smtpPoolSize: 2,
      commitIntervalMs: 500,
      smtpConnectTimeoutMs: 1000,
      metricsPort: 0,
    });
  });

  test.each([
    ["CONCURRENCY", "16x"],
    ["CONCURRENCY", "1025"],
    ["SMTP_POOL_SIZE", "0"],
    ["SMTP_CONNECT_TIMEOUT_MS", "99"],
    ["SMTP_SOCKET_TIMEOUT_MS", "15s"],
    ["COMMIT_MS", "NaN"],
    ["METRICS_PORT", "-1"],
    ["MESSAGE_ID_DOMAIN", "pay ments"],
    ["MAIL_FROM", "a@b.c\r\nBcc: x@y.z"],
    ["SOURCE_TOPIC", "payments results"],
    ["GROUP_ID", "g/1"],
    ["NOTIFICATIONS_KEEP_HOURS", "0"],
  ])("%s=%p is refused, naming the variable", (name, value) => {
    expect(refusal({ [name]: value })).toStartWith(`${name} must be`);
  });
});
