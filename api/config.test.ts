/**
 * The API's knobs as the environment gives them (api/config.ts). The edge settings (listening
 * address, dev credentials, rate limits) are covered in test/api/edge-config.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { ConfigError } from "../shared/config.ts";
import { DEFAULT_CREATE_LINGER_MS, DEFAULT_READ_REPLICA_MAX_LAG_MS, loadApiConfig } from "./config.ts";

const refusal = (env: Record<string, string>): string => {
  try {
    loadApiConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe("API config", () => {
  test("defaults", () => {
    expect(loadApiConfig({})).toMatchObject({
      port: 13001,
      host: "127.0.0.1",
      devMode: false,
      bodyLimitBytes: 16 * 1024,
      dbPoolMax: 10,
      readPoolMax: 10,
      createBatchMax: 64,
      createMaxInFlight: 1,
      createLingerMs: DEFAULT_CREATE_LINGER_MS,
      idempotencyTtlHours: 24,
      authCacheMs: 30_000,
      readReplicaMaxLagMs: DEFAULT_READ_REPLICA_MAX_LAG_MS,
      logLevel: "info",
      seedDevMerchant: false,
      devMerchantKey: undefined,
      opsApiKey: undefined,
      shutdownGraceMs: 10_000,
    });
  });

  test("PORT=0 asks for a free port; CREATE_MAX_IN_FLIGHT is bounded by DB_POOL_MAX", () => {
    expect(loadApiConfig({ PORT: "0" }).port).toBe(0);
    expect(loadApiConfig({ DB_POOL_MAX: "4", CREATE_MAX_IN_FLIGHT: "4" }).createMaxInFlight).toBe(4);
    expect(refusal({ DB_POOL_MAX: "4", CREATE_MAX_IN_FLIGHT: "5" })).toBe('CREATE_MAX_IN_FLIGHT must be an integer in [1, 4], got "5"');
  });

  test.each([
    ["PORT", "13001x"],
    ["PORT", "65536"],
    ["DB_POOL_MAX", "10x"],
    ["DB_POOL_MAX", "0"],
    ["DB_READ_POOL_MAX", "1e1"],
    ["CREATE_BATCH_MAX", "1001"],
    ["CREATE_LINGER_MS", "2.5"],
    ["IDEMPOTENCY_TTL_HOURS", "23"],
    ["API_BODY_LIMIT_BYTES", "16k"],
    ["AUTH_CACHE_MS", "NaN"],
    ["READ_REPLICA_MAX_LAG_MS", "-1"],
    ["SHUTDOWN_GRACE_MS", "10s"],
    ["MERCHANT_RATE_LIMIT_BURST", "0x10"],
    ["LOG_LEVEL", "verbose"],
    ["SEED_DEV_MERCHANT", "yes"],
  ])("%s=%p is refused, naming the variable", (name, value) => {
    expect(refusal({ [name]: value })).toStartWith(`${name} must be`);
  });

  test("a malformed key is refused without showing it", () => {
    const m = refusal({ DEV_MERCHANT_KEY: "sk_short_but_private" });
    expect(m).toContain("DEV_MERCHANT_KEY");
    expect(m).not.toContain("sk_short_but_private");
  });
});
