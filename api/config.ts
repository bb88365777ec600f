/**
 * API-specific settings, checked at start-up like shared/config.ts: a bad value stops
 * the process with a message naming the variable. Endpoints (DB URLs) come from
 * loadStackEnv(); only knobs that belong to the API live here.
 */
import { isIP } from "node:net";
import { ConfigError } from "../shared/config.ts";
import { bool, host, int, list, logLevel, optionalText, port, secret, SERVICE_NAME, type Env } from "../shared/env.ts";

/**
 * The development keys printed in this repository (README, compose.yaml, the native stack).
 * Anyone can read them, so they are accepted only in dev mode: outside it the API refuses to
 * start with either of them configured.
 */
export const DEV_KEYS = {
  merchant: "sk_dev_local_0123456789abcdefghijklmnopqrstuv",
  ops: "ops_dev_local_0123456789abcdefghijklmnopqrstuv",
} as const;

/** The one switch for local-development conveniences (seeding, published keys). Off unless "1". */
export const DEV_MODE_VARIABLE = "PAYORCH_DEV_MODE";

export type ApiConfig = {
  port: number;
  /** Listening address. Loopback by default: the public way in is Caddy (TLS); containers set 0.0.0.0. */
  host: string;
  /** PAYORCH_DEV_MODE=1: local development only (dev merchant seeding, the published dev keys). */
  devMode: boolean;
  /** Reported by /health/live so an operator can tell instances apart; never the host name. */
  serviceName: string | undefined;
  /** Bearer key for /ops/*; undefined closes the operator endpoints. Never logged. */
  opsApiKey: string | undefined;
  /** Token bucket per merchant API key, per instance: sustained requests a second... */
  merchantRatePerSecond: number;
  /** ...and how many may come at once. */
  merchantRateBurst: number;
  /** Token bucket of failed authentications per client address, per instance (refill a minute)... */
  authFailuresPerMinute: number;
  /** ...and how many failures in a row before that address gets 429. */
  authFailureBurst: number;
  /** Peers whose X-Forwarded-For names the client (Caddy); anyone else is the client. */
  trustedProxies: string[];
  /** Bodies above this many bytes get 413. Payments are small; 16 KiB is generous. */
  bodyLimitBytes: number;
  dbPoolMax: number;
  readPoolMax: number;
  /** Most creates coalesced into one transaction (group commit); 1 turns it off. */
  createBatchMax: number;
  /**
   * Create transactions in flight at once per instance. Few on purpose: while they run,
   * new creates queue and go out together in the next one, so batches grow with load
   * and Postgres does one commit per batch instead of one per request. At most dbPoolMax.
   */
  createMaxInFlight: number;
  /** How long a busy instance waits to fill the next create batch (see group-commit.ts); 0 = never. */
  createLingerMs: number;
  /** Idempotency records are kept at least this long, then purged. */
  idempotencyTtlHours: number;
  /** How long a verified API key is trusted without asking Postgres again. */
  authCacheMs: number;
  /** Reads leave the replica for the primary while its replay lag is above this. */
  readReplicaMaxLagMs: number;
  /**
   * A manual payment's authorization is voided when not captured within this many hours
   * (its default capture_before, and the latest a create may ask for).
   */
  captureWindowHours: number;
  /**
   * A create not confirmed as committed within this many ms is answered 503 (retry with the
   * same Idempotency-Key). Its transaction is not cancelled: with a synchronous standby
   * away, a cancelled commit would stand on the primary alone; it finishes once the standby
   * has it, and the retry then gets the stored answer.
   */
  createCommitTimeoutMs: number;
  logLevel: string;
  /** Needs devMode. */
  seedDevMerchant: boolean;
  /** Fixed dev key so the local stack prints the same key each start. Never set in production. */
  devMerchantKey: string | undefined;
  shutdownGraceMs: number;
  /** STRIPE_WEBHOOK_SECRET (whsec_…): verifies POST /webhooks/stripe; unset refuses it. */
  stripeWebhookSecret: string | undefined;
  /** ADYEN_HMAC_KEY (hex): verifies POST /webhooks/adyen; unset refuses it. */
  adyenHmacKey: string | undefined;
};

/**
 * One: the next batch fills while the current one commits. Measured through Caddy at 20
 * concurrent clients (bench/api-create.ts): 1 gives batches of about 4 and 2,650 creates/s,
 * p99 18 ms; 2 gives batches of about 2 and 2,050-2,330/s, p99 26 ms, because Postgres pays
 * most of a create_payments() call per call, not per item. An idle API still sends a create
 * at once.
 */
export const defaultCreateMaxInFlight = (dbPoolMax: number): number => Math.min(1, dbPoolMax);

/** A status read may trail the primary by at most this much before it goes to the primary. */
export const DEFAULT_READ_REPLICA_MAX_LAG_MS = 1_000;

/** Seven days: how long a card network lets a card authorization be held (Stripe's window too). */
export const DEFAULT_CAPTURE_WINDOW_HOURS = 168;

/** Up to 2 ms, and only while busy (api/payments/group-commit.ts): batches of ~8 instead of ~4. */
export const DEFAULT_CREATE_LINGER_MS = 2;

/**
 * Rate-limit defaults for a production instance. Each instance keeps its own buckets, so a
 * client behind Caddy's least_conn sees up to N times these. The local stack sets far higher
 * per-key limits (its benchmarks send ~3,000 creates/s with one key).
 */
export const DEFAULT_RATE_LIMITS = {
  merchantRatePerSecond: 100,
  merchantRateBurst: 200,
  authFailuresPerMinute: 30,
  authFailureBurst: 20,
  trustedProxies: ["127.0.0.1", "::1"],
} as const;

const OPS_KEY = /^\S{24,500}$/;
const MERCHANT_KEY = /^sk_[A-Za-z0-9_-]{32,200}$/;

/**
 * Development credentials need dev mode. Outside it, a published key is refused by name
 * (its value is never echoed) so a copied compose file cannot go live with them.
 */
function checkDevCredentials(devMode: boolean, seed: boolean, devKey: string | undefined, opsKey: string | undefined): void {
  if (devMode) return;
  const why = `outside local development; set ${DEV_MODE_VARIABLE}=1 only on a developer's machine`;
  if (seed) {
    throw new ConfigError(`SEED_DEV_MERCHANT=1 needs ${DEV_MODE_VARIABLE}=1: the dev merchant must not exist ${why}`);
  }
  const published = new Set<string>(Object.values(DEV_KEYS));
  for (const [name, value] of [
    ["DEV_MERCHANT_KEY", devKey],
    ["OPS_API_KEY", opsKey],
  ] as const) {
    if (value !== undefined && published.has(value)) {
      throw new ConfigError(
        `${name} is one of the project's published development keys, which anyone can read in its source; refusing to start with it ${why}`,
      );
    }
  }
}

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const devKey = secret(env, "DEV_MERCHANT_KEY", MERCHANT_KEY, "sk_ followed by at least 32 URL-safe characters");
  const opsApiKey = secret(env, "OPS_API_KEY", OPS_KEY, "24 to 500 characters without spaces (use a random key)");
  const serviceName = optionalText(env, "SERVICE_NAME", SERVICE_NAME, "1-64 letters, digits, dots, dashes or underscores");
  const devMode = bool(env, DEV_MODE_VARIABLE);
  const seedDevMerchant = bool(env, "SEED_DEV_MERCHANT");
  checkDevCredentials(devMode, seedDevMerchant, devKey, opsApiKey);
  const dbPoolMax = int(env, "DB_POOL_MAX", 10, { min: 1, max: 200 });
  const merchantRatePerSecond = int(env, "MERCHANT_RATE_LIMIT_PER_SECOND", DEFAULT_RATE_LIMITS.merchantRatePerSecond, { min: 1, max: 1_000_000 });
  const authFailuresPerMinute = int(env, "AUTH_FAILURES_PER_MINUTE", DEFAULT_RATE_LIMITS.authFailuresPerMinute, { min: 1, max: 10_000_000 });
  return {
    // 0 asks the OS for a free port (tests start main.ts that way).
    port: port(env, "PORT", 13001, { allowZero: true }),
    host: host(env, "API_HOST", "127.0.0.1"),
    devMode,
    serviceName,
    opsApiKey,
    merchantRatePerSecond,
    merchantRateBurst: int(env, "MERCHANT_RATE_LIMIT_BURST", Math.max(DEFAULT_RATE_LIMITS.merchantRateBurst, merchantRatePerSecond), {
      min: 1,
      max: 10_000_000,
    }),
    authFailuresPerMinute,
    authFailureBurst: int(env, "AUTH_FAILURE_BURST", DEFAULT_RATE_LIMITS.authFailureBurst, { min: 1, max: 1_000_000 }),
    trustedProxies: list(env, "TRUSTED_PROXIES", DEFAULT_RATE_LIMITS.trustedProxies, (ip) => isIP(ip) !== 0, "IP addresses"),
    bodyLimitBytes: int(env, "API_BODY_LIMIT_BYTES", 16 * 1024, { min: 1024, max: 1024 * 1024 }),
    dbPoolMax,
    readPoolMax: int(env, "DB_READ_POOL_MAX", 10, { min: 1, max: 200 }),
    createBatchMax: int(env, "CREATE_BATCH_MAX", 64, { min: 1, max: 1000 }),
    createMaxInFlight: int(env, "CREATE_MAX_IN_FLIGHT", defaultCreateMaxInFlight(dbPoolMax), { min: 1, max: dbPoolMax }),
    createLingerMs: int(env, "CREATE_LINGER_MS", DEFAULT_CREATE_LINGER_MS, { min: 0, max: 50 }),
    idempotencyTtlHours: int(env, "IDEMPOTENCY_TTL_HOURS", 24, { min: 24, max: 24 * 30 }),
    authCacheMs: int(env, "AUTH_CACHE_MS", 30_000, { min: 0, max: 600_000 }),
    readReplicaMaxLagMs: int(env, "READ_REPLICA_MAX_LAG_MS", DEFAULT_READ_REPLICA_MAX_LAG_MS, { min: 0, max: 3_600_000 }),
    // Never beyond the seven days: the gateway lets an uncaptured authorization lapse then.
    captureWindowHours: int(env, "CAPTURE_WINDOW_HOURS", DEFAULT_CAPTURE_WINDOW_HOURS, { min: 1, max: DEFAULT_CAPTURE_WINDOW_HOURS }),
    createCommitTimeoutMs: int(env, "CREATE_COMMIT_TIMEOUT_MS", 10_000, { min: 100, max: 300_000 }),
    logLevel: logLevel(env),
    seedDevMerchant,
    devMerchantKey: devKey,
    shutdownGraceMs: int(env, "SHUTDOWN_GRACE_MS", 10_000, { min: 0, max: 120_000 }),
    stripeWebhookSecret: secret(env, "STRIPE_WEBHOOK_SECRET", /^whsec_[A-Za-z0-9]{8,128}$/, "a Stripe webhook signing secret (whsec_…)"),
    adyenHmacKey: secret(env, "ADYEN_HMAC_KEY", /^(?:[0-9A-Fa-f]{2}){16,128}$/, "an Adyen HMAC key (hex, 32 to 256 digits)"),
  };
}
