/**
 * Payment worker settings, checked at start-up (a bad value names its variable).
 *
 * The gateway: STRIPE_API_BASE set to a URL sends every call there (the simulator
 * locally; the stack always passes it). Unset or empty means Stripe itself, and then
 * STRIPE_SECRET_KEY must be given and be a test-mode key (sk_test_…): the simulator's
 * placeholder key is not one. The key is never logged or put in a message.
 */
import { ConfigError } from "../../shared/config.ts";
import { given, host, int, KAFKA_NAME, logLevel, optionalText, port, secret, SERVICE_NAME, text, url, type Env, type LogLevel } from "../../shared/env.ts";

/** What the simulator accepts; never sent to Stripe. */
export const SIMULATOR_SECRET_KEY = "sk_test_simulator";
const KEY = /^\S{1,500}$/;
const TEST_KEY = /^sk_test_\S{1,500}$/;
const LIVE_KEY = /^[sr]k_live_/;

export type PaymentWorkerConfig = {
  /** Postgres application_name and Kafka client id. */
  readonly serviceName: string;
  /** undefined: Stripe itself. */
  readonly stripeApiBase: string | undefined;
  /** Never logged. */
  readonly stripeSecretKey: string;
  readonly stripeTimeoutMs: number;
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
};

function stripeSecretKey(env: Env, apiBase: string | undefined): string {
  if (apiBase === undefined) {
    const key = secret(env, "STRIPE_SECRET_KEY", TEST_KEY, "a Stripe test key (sk_test_…) when STRIPE_API_BASE is unset or empty, which means Stripe itself");
    if (key === undefined || key === SIMULATOR_SECRET_KEY) {
      throw new ConfigError("STRIPE_SECRET_KEY must be set to a Stripe test key (sk_test_…) when STRIPE_API_BASE is unset or empty, which means Stripe itself");
    }
    return key;
  }
  // A live key must never leave for a gateway that is not Stripe.
  const key = secret(env, "STRIPE_SECRET_KEY", (k) => KEY.test(k) && !LIVE_KEY.test(k), "a key without spaces, and not a live key");
  return key ?? SIMULATOR_SECRET_KEY;
}

export function loadPaymentWorkerConfig(env: Env = process.env): PaymentWorkerConfig {
  const stripeApiBase = given(env, "STRIPE_API_BASE") === undefined ? undefined : url(env, "STRIPE_API_BASE", "", ["http", "https"]);
  return {
    serviceName: text(env, "SERVICE_NAME", "payment-worker", SERVICE_NAME, "1-64 letters, digits, dots, dashes or underscores"),
    stripeApiBase,
    stripeSecretKey: stripeSecretKey(env, stripeApiBase),
    stripeTimeoutMs: int(env, "STRIPE_TIMEOUT_MS", 10_000, { min: 100, max: 120_000 }),
    searchLagMs: int(env, "GATEWAY_SEARCH_LAG_MS", 120_000, { min: 0, max: 3_600_000 }),
    dbPoolMax: int(env, "DB_POOL_MAX", 20, { min: 1, max: 200 }),
    concurrency: int(env, "WORKER_CONCURRENCY", 128, { min: 1, max: 4096 }),
    retryLastTierAttempts: int(env, "RETRY_LAST_TIER_ATTEMPTS", 4, { min: 1, max: 100 }),
    consumerGroup: optionalText(env, "CONSUMER_GROUP", KAFKA_NAME, "a Kafka group id (letters, digits, dots, dashes, underscores)"),
    metricsPort: port(env, "METRICS_PORT", 9471, { allowZero: true }),
    metricsHost: host(env, "METRICS_HOST", "127.0.0.1"),
    logLevel: logLevel(env),
  };
}
