/** Notification worker settings, checked at start-up (a bad value names its variable). */
import { HEADER_TEXT, host, int, KAFKA_NAME, logLevel, port, text, type Env, type LogLevel } from "../../shared/env.ts";
import { Topics } from "../../shared/topics.ts";
import { defaultEngineOptions } from "../engine/index.ts";

export type NotificationConfig = {
  readonly metricsPort: number;
  /** METRICS_HOST: checked here, but read by the engine's metrics server itself (runWorker takes no host). */
  readonly metricsHost: string;
  readonly concurrency: number;
  readonly smtpPoolSize: number;
  readonly smtpConnectTimeoutMs: number;
  readonly smtpSocketTimeoutMs: number;
  readonly commitIntervalMs: number;
  /** The From header: one line, so a setting cannot inject another header. */
  readonly from: string;
  readonly messageIdDomain: string;
  /** Overridable so integration tests run on their own topic; production uses payments.results. */
  readonly sourceTopic: string;
  readonly groupId: string;
  /**
   * Sent claims are kept this long, then purged: a claim is what stops a redelivered result
   * from mailing twice, so keep it longer than payments.results keeps its records.
   */
  readonly keepSentHours: number;
  readonly logLevel: LogLevel;
};

export function loadNotificationConfig(env: Env = process.env): NotificationConfig {
  return {
    metricsPort: port(env, "METRICS_PORT", 9472, { allowZero: true }),
    metricsHost: host(env, "METRICS_HOST", "127.0.0.1"),
    concurrency: int(env, "CONCURRENCY", 16, { min: 1, max: 1024 }),
    smtpPoolSize: int(env, "SMTP_POOL_SIZE", 5, { min: 1, max: 100 }),
    smtpConnectTimeoutMs: int(env, "SMTP_CONNECT_TIMEOUT_MS", 5_000, { min: 100, max: 120_000 }),
    smtpSocketTimeoutMs: int(env, "SMTP_SOCKET_TIMEOUT_MS", 15_000, { min: 100, max: 300_000 }),
    commitIntervalMs: int(env, "COMMIT_MS", defaultEngineOptions.commitIntervalMs, { min: 10, max: 60_000 }),
    from: text(env, "MAIL_FROM", "Payments <no-reply@payments.local>", HEADER_TEXT, "one line of at most 320 characters"),
    messageIdDomain: text(env, "MESSAGE_ID_DOMAIN", "payments.local", /^[A-Za-z0-9.-]{1,253}$/, "a host name"),
    sourceTopic: text(env, "SOURCE_TOPIC", Topics.paymentsResults, KAFKA_NAME, "a Kafka topic name"),
    groupId: text(env, "GROUP_ID", "notification-worker", KAFKA_NAME, "a Kafka group id (letters, digits, dots, dashes, underscores)"),
    keepSentHours: int(env, "NOTIFICATIONS_KEEP_HOURS", 7 * 24, { min: 1, max: 365 * 24 }),
    logLevel: logLevel(env),
  };
}
