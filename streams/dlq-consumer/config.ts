/** DLQ consumer settings, checked at start-up. */
import { ConfigError } from "../../shared/config.ts";
import { topicCatalogue } from "../../shared/topics.ts";
import { intEnv } from "../notification-worker/config.ts";

type Env = Record<string, string | undefined>;

export function loadDlqConfig(env: Env = process.env) {
  const topics = (env.DLQ_TOPICS || topicCatalogue().filter((t) => t.endsWith(".dlq")).join(","))
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (topics.length === 0 || topics.some((t) => !t.endsWith(".dlq"))) throw new ConfigError(`DLQ_TOPICS must list topics ending in .dlq, got "${env.DLQ_TOPICS}"`);
  const alertTo = env.OPS_ALERT_EMAIL || "ops@payments.local";
  if (!/^[^\s@]+@[^\s@]+$/.test(alertTo)) throw new ConfigError(`OPS_ALERT_EMAIL must be an email address, got "${alertTo}"`);
  return {
    topics,
    alertTo,
    alertFrom: env.ALERT_FROM || "Payments alerts <alerts@payments.local>",
    alertIntervalMs: intEnv(env, "ALERT_INTERVAL_MS", 60_000, 100, 24 * 3_600_000),
    metricsPort: intEnv(env, "METRICS_PORT", 9473, 0, 65535),
    groupId: env.GROUP_ID || "dlq-consumer",
    logLevel: env.LOG_LEVEL || "info",
  };
}
