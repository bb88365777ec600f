/**
 * Command worker settings, checked at start-up (a bad value names its variable). The
 * gateway's come from connectors/stripe/config.ts, as for the payment worker.
 */
import { host, int, logLevel, port, SERVICE_NAME, text, type Env, type LogLevel } from "../../shared/env.ts";
import { loadStripeSettings, type StripeSettings } from "../../shared/connectors/stripe/config.ts";

export type CommandWorkerConfig = StripeSettings & {
  readonly serviceName: string;
  readonly dbPoolMax: number;
  readonly concurrency: number;
  /** Tries 60 s apart on the last retry tier before the DLQ. */
  readonly retryLastTierAttempts: number;
  /** How often held payments past their capture_before get a cancel command. */
  readonly expirySweepMs: number;
  /** The status sync (shared/payments/sync.ts): how often it sweeps, after how long unchanged a row is stale, how often one row is handed back. */
  readonly sync: { intervalMs: number; staleMs: number; maxSyncs: number; deadLetterAfterMs: number };
  readonly metricsPort: number;
  readonly metricsHost: string;
  readonly logLevel: LogLevel;
};

export function loadCommandWorkerConfig(env: Env = process.env): CommandWorkerConfig {
  return {
    ...loadStripeSettings(env),
    serviceName: text(env, "SERVICE_NAME", "command-worker", SERVICE_NAME, "1-64 letters, digits, dots, dashes or underscores"),
    dbPoolMax: int(env, "DB_POOL_MAX", 10, { min: 1, max: 200 }),
    concurrency: int(env, "WORKER_CONCURRENCY", 64, { min: 1, max: 4096 }),
    retryLastTierAttempts: int(env, "RETRY_LAST_TIER_ATTEMPTS", 4, { min: 1, max: 100 }),
    expirySweepMs: int(env, "EXPIRY_SWEEP_MS", 10_000, { min: 100, max: 3_600_000 }),
    sync: {
      intervalMs: int(env, "SYNC_INTERVAL_MS", 30_000, { min: 100, max: 3_600_000 }),
      // Longer than the retry tiers (about four minutes), so a payment still being retried is left alone.
      staleMs: int(env, "SYNC_STALE_MS", 300_000, { min: 1_000, max: 7 * 86_400_000 }),
      maxSyncs: int(env, "SYNC_MAX", 5, { min: 0, max: 1_000 }),
      // A payment whose retries ran out is parked this long before it is handed back: the outage that exhausted them is likely over.
      deadLetterAfterMs: int(env, "SYNC_DEAD_LETTER_AFTER_MS", 3_600_000, { min: 1_000, max: 30 * 86_400_000 }),
    },
    metricsPort: port(env, "METRICS_PORT", 9475, { allowZero: true }),
    metricsHost: host(env, "METRICS_HOST", "127.0.0.1"),
    logLevel: logLevel(env),
  };
}
