/**
 * API-specific settings, checked at start-up like shared/config.ts: a bad value stops
 * the process with a message naming the variable. Endpoints (DB URLs) come from
 * loadStackEnv(); only knobs that belong to the API live here.
 */
import { isIP } from "node:net";
import { ConfigError } from "../shared/config.ts";

type Env = Record<string, string | undefined>;

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
  logLevel: string;
  /** Needs devMode. */
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

/** A status read may trail the primary by at most this much before it goes to the primary. */
export const DEFAULT_READ_REPLICA_MAX_LAG_MS = 1_000;

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

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SERVICE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const OPS_KEY = /^\S{24,500}$/;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

function flag(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "" || raw === "0") return false;
  if (raw === "1") return true;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}"`);
}

function host(env: Env): string {
  const raw = env.API_HOST || "127.0.0.1";
  if (isIP(raw) === 0 && !HOST.test(raw)) throw new ConfigError(`API_HOST must be an IP address or a host name, got "${raw}"`);
  return raw;
}

function trustedProxies(env: Env): string[] {
  const raw = env.TRUSTED_PROXIES;
  if (raw === undefined || raw.trim() === "") return [...DEFAULT_RATE_LIMITS.trustedProxies];
  const list = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = list.find((ip) => isIP(ip) === 0);
  if (bad !== undefined) throw new ConfigError(`TRUSTED_PROXIES must be comma-separated IP addresses, got "${bad}"`);
  return list;
}

/**
 * Development credentials need dev mode. Outside it, a published key is refused by name
 * (its value is never echoed) so a copied compose file cannot go live with them.
 */
function checkDevCredentials(env: Env, devMode: boolean, devKey: string | undefined, opsKey: string | undefined): void {
  if (devMode) return;
  const why = `outside local development; set ${DEV_MODE_VARIABLE}=1 only on a developer's machine`;
  if (env.SEED_DEV_MERCHANT === "1") {
    throw new ConfigError(`SEED_DEV_MERCHANT=1 needs ${DEV_MODE_VARIABLE}=1: the dev merchant must not exist ${why}`);
  }
  const published = new Set<string>(Object.values(DEV_KEYS));
  for (const [name, value] of [["DEV_MERCHANT_KEY", devKey], ["OPS_API_KEY", opsKey]] as const) {
    if (value !== undefined && published.has(value)) {
      throw new ConfigError(`${name} is one of the project's published development keys, which anyone can read in its source; refusing to start with it ${why}`);
    }
  }
}

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const devKey = env.DEV_MERCHANT_KEY || undefined;
  if (devKey !== undefined && !/^sk_[A-Za-z0-9_-]{32,200}$/.test(devKey)) {
    throw new ConfigError("DEV_MERCHANT_KEY must look like sk_ followed by at least 32 URL-safe characters");
  }
  const opsApiKey = env.OPS_API_KEY || undefined;
  if (opsApiKey !== undefined && !OPS_KEY.test(opsApiKey)) {
    throw new ConfigError("OPS_API_KEY must be 24 to 500 characters without spaces (use a random key)");
  }
  const serviceName = env.SERVICE_NAME || undefined;
  if (serviceName !== undefined && !SERVICE_NAME.test(serviceName)) {
    throw new ConfigError("SERVICE_NAME must be 1-64 letters, digits, dots, dashes or underscores");
  }
  const devMode = flag(env, DEV_MODE_VARIABLE);
  checkDevCredentials(env, devMode, devKey, opsApiKey);
  const dbPoolMax = int(env, "DB_POOL_MAX", 10, 1, 200);
  const merchantRatePerSecond = int(env, "MERCHANT_RATE_LIMIT_PER_SECOND", DEFAULT_RATE_LIMITS.merchantRatePerSecond, 1, 1_000_000);
  const authFailuresPerMinute = int(env, "AUTH_FAILURES_PER_MINUTE", DEFAULT_RATE_LIMITS.authFailuresPerMinute, 1, 10_000_000);
  return {
    // 0 asks the OS for a free port (tests start main.ts that way).
    port: int(env, "PORT", 13001, 0, 65535),
    host: host(env),
    devMode,
    serviceName,
    opsApiKey,
    merchantRatePerSecond,
    merchantRateBurst: int(env, "MERCHANT_RATE_LIMIT_BURST", Math.max(DEFAULT_RATE_LIMITS.merchantRateBurst, merchantRatePerSecond), 1, 10_000_000),
    authFailuresPerMinute,
    authFailureBurst: int(env, "AUTH_FAILURE_BURST", DEFAULT_RATE_LIMITS.authFailureBurst, 1, 1_000_000),
    trustedProxies: trustedProxies(env),
    bodyLimitBytes: int(env, "API_BODY_LIMIT_BYTES", 16 * 1024, 1024, 1024 * 1024),
    dbPoolMax,
    readPoolMax: int(env, "DB_READ_POOL_MAX", 10, 1, 200),
    createBatchMax: int(env, "CREATE_BATCH_MAX", 64, 1, 1000),
    createMaxInFlight: int(env, "CREATE_MAX_IN_FLIGHT", defaultCreateMaxInFlight(dbPoolMax), 1, dbPoolMax),
    createLingerMs: int(env, "CREATE_LINGER_MS", DEFAULT_CREATE_LINGER_MS, 0, 50),
    idempotencyTtlHours: int(env, "IDEMPOTENCY_TTL_HOURS", 24, 24, 24 * 30),
    authCacheMs: int(env, "AUTH_CACHE_MS", 30_000, 0, 600_000),
    readReplicaMaxLagMs: int(env, "READ_REPLICA_MAX_LAG_MS", DEFAULT_READ_REPLICA_MAX_LAG_MS, 0, 3_600_000),
    logLevel: env.LOG_LEVEL || "info",
    seedDevMerchant: env.SEED_DEV_MERCHANT === "1",
    devMerchantKey: devKey,
    shutdownGraceMs: int(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 120_000),
  };
}
