/**
 * Webhook dispatcher settings, checked at start-up: a bad value stops the process with a
 * message naming the variable. Endpoints (DATABASE_URL, KAFKA_BROKERS, …) come from
 * shared/config.ts.
 */
import { DEV_MODE_VARIABLE } from "../../api/config.ts";
import { bool, ConfigError, given, host, int, KAFKA_NAME, logLevel, port, text, type Env, type LogLevel } from "../../shared/env.ts";
import { DEFAULT_DISABLE_AFTER, DEFAULT_GIVE_UP_AFTER, DEFAULT_SCHEDULE, parseDuration, parseSchedule, type RetrySchedule } from "./schedule.ts";

/** Until shared/config.ts METRICS_PORTS lists the dispatcher, its own default. */
export const DEFAULT_METRICS_PORT = 9474;

export type DispatcherConfig = {
  metricsPort: number;
  /** METRICS_HOST: checked here, read by the engine's metrics server itself. */
  metricsHost: string;
  groupId: string;
  /** Which endpoints' deliveries this dispatcher makes (webhook_endpoints.pool). */
  pool: string;
  schedule: RetrySchedule;
  giveUpAfterMs: number;
  disableAfterMs: number;
  /** One attempt, connect to answer; any 2xx within it is delivered. */
  timeoutMs: number;
  /** Attempts in flight at once. */
  concurrency: number;
  /** Intake handlers at once (the engine's concurrency). */
  intakeConcurrency: number;
  /** How often the loop looks for due deliveries when nothing woke it. */
  pollMs: number;
  /** How long a claimed attempt is ours; after that another dispatcher may take it. */
  leaseMs: number;
  retentionMs: number;
  purgeBatch: number;
  purgeEveryMs: number;
  /** Endpoints named in webhook_backlog{endpoint}; the rest add up under "other". */
  backlogTopN: number;
  backlogEveryMs: number;
  devMode: boolean;
  /** The local stack: deliver to loopback and nothing else. Needs dev mode. */
  loopbackOnly: boolean;
  logLevel: LogLevel;
};

function duration(env: Env, name: string, fallback: string, minMs: number): number {
  const raw = given(env, name) ?? fallback;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < minMs)
    throw new ConfigError(`${name} must be a duration such as 30s, 5m, 2h or 3d, at least ${minMs} ms, got ${JSON.stringify(raw)}`);
  return ms;
}

export function loadDispatcherConfig(env: Env = process.env): DispatcherConfig {
  const rawSchedule = given(env, "WEBHOOK_RETRY_SCHEDULE") ?? DEFAULT_SCHEDULE;
  const schedule = parseSchedule(rawSchedule);
  if (!schedule)
    throw new ConfigError(`WEBHOOK_RETRY_SCHEDULE must be comma-separated durations such as "1m,5m,30m,2h,6h,12h", got ${JSON.stringify(rawSchedule)}`);
  const giveUpAfterMs = duration(env, "WEBHOOK_GIVE_UP_AFTER", DEFAULT_GIVE_UP_AFTER, 1_000);
  const retentionMs = duration(env, "WEBHOOK_EVENT_RETENTION", "30d", 60_000);
  // An event must outlive every round of attempts it can be in, or the purge would take it mid-round.
  if (retentionMs <= giveUpAfterMs) throw new ConfigError("WEBHOOK_EVENT_RETENTION must be longer than WEBHOOK_GIVE_UP_AFTER");
  const timeoutMs = int(env, "WEBHOOK_TIMEOUT_MS", 10_000, { min: 100, max: 60_000 });
  const devMode = bool(env, DEV_MODE_VARIABLE);
  const loopbackOnly = bool(env, "WEBHOOK_LOOPBACK_ONLY");
  if (loopbackOnly && !devMode)
    throw new ConfigError(`WEBHOOK_LOOPBACK_ONLY=1 needs ${DEV_MODE_VARIABLE}=1: outside dev mode loopback is never a webhook destination`);
  return {
    metricsPort: port(env, "METRICS_PORT", DEFAULT_METRICS_PORT, { allowZero: true }),
    metricsHost: host(env, "METRICS_HOST", "127.0.0.1"),
    groupId: text(env, "GROUP_ID", "webhook-dispatcher", KAFKA_NAME, "a Kafka group id (letters, digits, dots, dashes, underscores)"),
    pool: text(env, "WEBHOOK_POOL", "default", /^[A-Za-z0-9._-]{1,64}$/, "1-64 letters, digits, dots, dashes or underscores"),
    schedule,
    giveUpAfterMs,
    disableAfterMs: duration(env, "WEBHOOK_DISABLE_AFTER", DEFAULT_DISABLE_AFTER, 1_000),
    timeoutMs,
    concurrency: int(env, "WEBHOOK_CONCURRENCY", 32, { min: 1, max: 1024 }),
    intakeConcurrency: int(env, "CONCURRENCY", 16, { min: 1, max: 1024 }),
    pollMs: int(env, "WEBHOOK_POLL_MS", 500, { min: 10, max: 60_000 }),
    // Past the request's own timeout, with room for a slow commit of its result.
    leaseMs: timeoutMs + int(env, "WEBHOOK_LEASE_MARGIN_MS", 20_000, { min: 1_000, max: 600_000 }),
    retentionMs,
    purgeBatch: int(env, "WEBHOOK_PURGE_BATCH", 500, { min: 1, max: 10_000 }),
    purgeEveryMs: int(env, "WEBHOOK_PURGE_EVERY_MS", 60_000, { min: 1_000, max: 24 * 3_600_000 }),
    backlogTopN: int(env, "WEBHOOK_BACKLOG_TOP", 20, { min: 1, max: 1000 }),
    backlogEveryMs: int(env, "WEBHOOK_BACKLOG_EVERY_MS", 15_000, { min: 100, max: 3_600_000 }),
    devMode,
    loopbackOnly,
    logLevel: logLevel(env),
  };
}
