/** DLQ consumer settings, checked at start-up (a bad value names its variable). */
import { HEADER_TEXT, host, int, KAFKA_NAME, list, logLevel, port, text, type Env, type LogLevel } from "../../shared/env.ts";
import { topicCatalogue } from "../../shared/topics.ts";

export type DlqConfig = {
  /** Every DLQ topic this consumer reads, in one group. */
  readonly topics: string[];
  readonly alertTo: string;
  /** The alert's From header: one line, so a setting cannot inject another header. */
  readonly alertFrom: string;
  /** At most one alert email per interval; also the sweep for unalerted dead letters. */
  readonly alertIntervalMs: number;
  readonly metricsPort: number;
  /** METRICS_HOST: checked here, but read by the engine's metrics server itself (runWorker takes no host). */
  readonly metricsHost: string;
  readonly groupId: string;
  readonly logLevel: LogLevel;
};

const isDlqTopic = (t: string) => KAFKA_NAME.test(t) && t.endsWith(".dlq");

export function loadDlqConfig(env: Env = process.env): DlqConfig {
  const dlqTopics = topicCatalogue().filter((t) => t.endsWith(".dlq"));
  return {
    topics: list(env, "DLQ_TOPICS", dlqTopics, isDlqTopic, "topics ending in .dlq"),
    alertTo: text(env, "OPS_ALERT_EMAIL", "ops@payments.local", /^[^\s@]+@[^\s@]+$/, "an email address"),
    alertFrom: text(env, "ALERT_FROM", "Payments alerts <alerts@payments.local>", HEADER_TEXT, "one line of at most 320 characters"),
    alertIntervalMs: int(env, "ALERT_INTERVAL_MS", 60_000, { min: 100, max: 24 * 3_600_000 }),
    metricsPort: port(env, "METRICS_PORT", 9473, { allowZero: true }),
    metricsHost: host(env, "METRICS_HOST", "127.0.0.1"),
    groupId: text(env, "GROUP_ID", "dlq-consumer", KAFKA_NAME, "a Kafka group id (letters, digits, dots, dashes, underscores)"),
    logLevel: logLevel(env),
  };
}
