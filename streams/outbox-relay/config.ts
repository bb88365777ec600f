/** Outbox relay settings, checked at start-up (a bad value names its variable). */
import { host, int, logLevel, port, SERVICE_NAME, text, type Env, type LogLevel } from "../../shared/env.ts";

export type RelayConfig = {
  /** Postgres application_name, Kafka client id and the metrics' `service` label. */
  readonly serviceName: string;
  /** Rows claimed per transaction; a batch this full is followed at once by the next. */
  readonly batchSize: number;
  /** Wait after a short batch when no NOTIFY arrives first. */
  readonly pollMs: number;
  /** Published rows are kept this long for inspection, then pruned. */
  readonly keepMinutes: number;
  readonly metricsPort: number;
  readonly metricsHost: string;
  readonly logLevel: LogLevel;
};

export function loadRelayConfig(env: Env = process.env): RelayConfig {
  return {
    serviceName: text(env, "SERVICE_NAME", "outbox-relay", SERVICE_NAME, "1-64 letters, digits, dots, dashes or underscores"),
    batchSize: int(env, "RELAY_BATCH_SIZE", 500, { min: 1, max: 10_000 }),
    pollMs: int(env, "RELAY_POLL_MS", 500, { min: 10, max: 60_000 }),
    keepMinutes: int(env, "OUTBOX_KEEP_MINUTES", 60, { min: 0, max: 30 * 24 * 60 }),
    metricsPort: port(env, "METRICS_PORT", 9470, { allowZero: true }),
    metricsHost: host(env, "METRICS_HOST", "127.0.0.1"),
    logLevel: logLevel(env),
  };
}
