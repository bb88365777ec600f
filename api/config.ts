/**
 * API-specific settings, checked at start-up like shared/config.ts: a bad value stops
 * the process with a message naming the variable. Endpoints (DB URLs) come from
 * loadStackEnv(); only knobs that belong to the API live here.
 */
import { ConfigError } from "../shared/config.ts";

type Env = Record<string, string | undefined>;

export type ApiConfig = {
  port: number;
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
  logLevel: string;
  seedDevMerchant: boolean;
  /** Fixed dev key so the local stack prints the same key each start. Never set in production. */
  devMerchantKey: string | undefined;
  shutdownGraceMs: number;
};

/**
 * One: the next batch fills while the current one commits. Measured through Caddy at 20
 * concurrent clients (bench/api-create.ts): 1 gives batches of about 4 and 2,650 creates/s,
 * p99 18 ms; 2 gives batches of about 2 and 2,050-2,330/s, p99 26 ms, because Postgres pays
 * most of a create_payments() call per call, not per item. An idle API still sends a create
 * at once.
 */
export const defaultCreateMaxInFlight = (dbPoolMax: number): number => Math.min(1, dbPoolMax);

/** Up to 2 ms, and only while busy (api/payments/group-commit.ts): batches of ~8 instead of ~4. */
export const DEFAULT_CREATE_LINGER_MS = 2;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const devKey = env.DEV_MERCHANT_KEY || undefined;
  if (devKey !== undefined && !/^sk_[A-Za-z0-9_-]{32,200}$/.test(devKey)) {
    throw new ConfigError("DEV_MERCHANT_KEY must look like sk_ followed by at least 32 URL-safe characters");
  }
  const dbPoolMax = int(env, "DB_POOL_MAX", 10, 1, 200);
  return {
    port: int(env, "PORT", 13001, 1, 65535),
    bodyLimitBytes: int(env, "API_BODY_LIMIT_BYTES", 16 * 1024, 1024, 1024 * 1024),
    dbPoolMax,
    readPoolMax: int(env, "DB_READ_POOL_MAX", 10, 1, 200),
    createBatchMax: int(env, "CREATE_BATCH_MAX", 64, 1, 1000),
    createMaxInFlight: int(env, "CREATE_MAX_IN_FLIGHT", defaultCreateMaxInFlight(dbPoolMax), 1, dbPoolMax),
    createLingerMs: int(env, "CREATE_LINGER_MS", DEFAULT_CREATE_LINGER_MS, 0, 50),
    idempotencyTtlHours: int(env, "IDEMPOTENCY_TTL_HOURS", 24, 24, 24 * 30),
    authCacheMs: int(env, "AUTH_CACHE_MS", 30_000, 0, 600_000),
    logLevel: env.LOG_LEVEL || "info",
    seedDevMerchant: env.SEED_DEV_MERCHANT === "1",
    devMerchantKey: devKey,
    shutdownGraceMs: int(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 120_000),
  };
}
