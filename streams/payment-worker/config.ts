/**
 * Payment worker settings, checked at start-up (a bad value names its variable).
 *
 * The connectors' settings (STRIPE_*, ADYEN_*, ROUTING_DEFAULT) are read by
 * shared/connectors/registry.ts, shared with the command worker; Stripe's are checked here too.
 */
import { host, int, KAFKA_NAME, logLevel, optionalText, port, SERVICE_NAME, text, type Env, type LogLevel } from "../../shared/env.ts";
import { loadBreakerConfig, type BreakerConfig } from "../../shared/connectors/breaker.ts";
import { loadStripeSettings, type StripeSettings } from "../../shared/connectors/stripe/config.ts";

export type PaymentWorkerConfig = StripeSettings & {
  /** Postgres application_name and Kafka client id. */
  readonly serviceName: string;
  /** How far Stripe's search may trail its writes; 0 for the simulator, whose search does not. */
  readonly searchLagMs: number;
  readonly dbPoolMax: number;
  readonly concurrency: number;
  /** Tries 60 s apart on the last retry tier before the DLQ. */
  readonly retryLastTierAttempts: number;
  /** undefined: the engine's default group. */
  readonly consumerGroup: string | undefined;
  readonly metricsPort: number;
  /** METRICS_HOST: checked here, but read by the engine's metrics server itself (runWorker takes no host). */
  readonly metricsHost: string;
  readonly logLevel: LogLevel;
  /** How long a merchant's routing rules are cached: a change reaches the worker within this. */
  readonly routingCacheMs: number;
  /** The connectors' circuit breakers (BREAKER_*). */
  readonly breaker: BreakerConfig;
};

export function loadPaymentWorkerConfig(env: Env = process.env): PaymentWorkerConfig {
  const stripe = loadStripeSettings(env);
  return {
    serviceName: text(env, "SERVICE_NAME", "payment-worker", SERVICE_NAME, "1-64 letters, digits, dots, dashes or underscores"),
    ...stripe,
    searchLagMs: int(env, "GATEWAY_SEARCH_LAG_MS", 120_000, { min: 0, max: 3_600_000 }),
    dbPoolMax: int(env, "DB_POOL_MAX", 20, { min: 1, max: 200 }),
    concurrency: int(env, "WORKER_CONCURRENCY", 128, { min: 1, max: 4096 }),
    retryLastTierAttempts: int(env, "RETRY_LAST_TIER_ATTEMPTS", 4, { min: 1, max: 100 }),
    consumerGroup: optionalText(env, "CONSUMER_GROUP", KAFKA_NAME, "a Kafka group id (letters, digits, dots, dashes, underscores)"),
    metricsPort: port(env, "METRICS_PORT", 9471, { allowZero: true }),
    metricsHost: host(env, "METRICS_HOST", "127.0.0.1"),
    logLevel: logLevel(env),
    routingCacheMs: int(env, "ROUTING_CACHE_MS", 5_000, { min: 0, max: 600_000 }),
    breaker: loadBreakerConfig(env),
  };
}
