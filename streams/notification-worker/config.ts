/** Notification worker settings, checked at start-up (a bad value names its variable). */
import { ConfigError } from "../../shared/config.ts";
import { Topics } from "../../shared/topics.ts";

type Env = Record<string, string | undefined>;

export function intEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return n;
}

export function loadNotificationConfig(env: Env = process.env) {
  const from = env.MAIL_FROM || "Payments <no-reply@payments.local>";
  const domain = env.MESSAGE_ID_DOMAIN || "payments.local";
  if (!/^[A-Za-z0-9.-]{1,253}$/.test(domain)) throw new ConfigError(`MESSAGE_ID_DOMAIN must be a host name, got "${domain}"`);
  return {
    metricsPort: intEnv(env, "METRICS_PORT", 9472, 0, 65535),
    concurrency: intEnv(env, "CONCURRENCY", 16, 1, 1024),
    smtpPoolSize: intEnv(env, "SMTP_POOL_SIZE", 5, 1, 100),
    smtpConnectTimeoutMs: intEnv(env, "SMTP_CONNECT_TIMEOUT_MS", 5_000, 100, 120_000),
    smtpSocketTimeoutMs: intEnv(env, "SMTP_SOCKET_TIMEOUT_MS", 15_000, 100, 300_000),
    commitIntervalMs: intEnv(env, "COMMIT_MS", 200, 10, 60_000),
    from,
    messageIdDomain: domain,
    /** Overridable so integration tests run on their own topic; production uses payments.results. */
    sourceTopic: env.SOURCE_TOPIC || Topics.paymentsResults,
    groupId: env.GROUP_ID || "notification-worker",
    logLevel: env.LOG_LEVEL || "info",
  };
}
