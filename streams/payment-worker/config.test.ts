import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../shared/config.ts";
import { SIMULATOR_SECRET_KEY } from "../../shared/connectors/stripe/config.ts";
import { loadPaymentWorkerConfig } from "./config.ts";

const SIM = { STRIPE_API_BASE: "http://127.0.0.1:12111" };
const TEST_KEY = "sk_test_51Hx0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";

const refusal = (env: Record<string, string>): string => {
  try {
    loadPaymentWorkerConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe("payment worker config", () => {
  test("defaults, against the simulator", () => {
    expect(loadPaymentWorkerConfig(SIM)).toEqual({
      serviceName: "payment-worker",
      stripeApiBase: "http://127.0.0.1:12111",
      stripeSecretKey: SIMULATOR_SECRET_KEY,
      stripeTimeoutMs: 10_000,
      searchLagMs: 120_000,
      dbPoolMax: 20,
      concurrency: 128,
      retryLastTierAttempts: 4,
      consumerGroup: undefined,
      metricsPort: 9471,
      metricsHost: "127.0.0.1",
      logLevel: "info",
      routingCacheMs: 5_000,
      breaker: { failures: 5, coolOffMs: 30_000, windowMs: 60_000 },
    });
  });

  test("each setting from its variable", () => {
    const c = loadPaymentWorkerConfig({
      ...SIM,
      SERVICE_NAME: "payment-worker-reread",
      STRIPE_TIMEOUT_MS: "2000",
      GATEWAY_SEARCH_LAG_MS: "0",
      DB_POOL_MAX: "4",
      WORKER_CONCURRENCY: "12",
      RETRY_LAST_TIER_ATTEMPTS: "1",
      CONSUMER_GROUP: "reread-0b6c1f9e-8a51-4d8e-9b7e-1f3c2d4e5a6b",
      METRICS_PORT: "0",
    });
    expect(c).toMatchObject({
      serviceName: "payment-worker-reread",
      stripeTimeoutMs: 2000,
      searchLagMs: 0,
      dbPoolMax: 4,
      concurrency: 12,
      retryLastTierAttempts: 1,
      consumerGroup: "reread-0b6c1f9e-8a51-4d8e-9b7e-1f3c2d4e5a6b",
      metricsPort: 0,
    });
  });

  describe("STRIPE_API_BASE: a URL is the gateway; unset or empty is Stripe itself", () => {
    test("unset or empty, with a test key: Stripe", () => {
      for (const base of [{}, { STRIPE_API_BASE: "" }, { STRIPE_API_BASE: "  " }]) {
        const c = loadPaymentWorkerConfig({ ...base, STRIPE_SECRET_KEY: TEST_KEY });
        expect(c.stripeApiBase).toBeUndefined();
        expect(c.stripeSecretKey).toBe(TEST_KEY);
      }
    });

    test("Stripe needs an explicit test key; the simulator's placeholder and live keys are refused unseen", () => {
      expect(refusal({})).toContain("STRIPE_SECRET_KEY");
      expect(refusal({ STRIPE_API_BASE: "" })).toContain("STRIPE_SECRET_KEY");
      expect(refusal({ STRIPE_SECRET_KEY: SIMULATOR_SECRET_KEY })).toContain("STRIPE_SECRET_KEY");
      const live = "sk_live_51Hx0123456789abcdefghijklmnop";
      const m = refusal({ STRIPE_SECRET_KEY: live });
      expect(m).toContain("STRIPE_SECRET_KEY");
      expect(m).not.toContain(live);
    });

    test("the simulator takes any key but a live one, and never shows it", () => {
      expect(loadPaymentWorkerConfig({ ...SIM, STRIPE_SECRET_KEY: "sk_test_other" }).stripeSecretKey).toBe("sk_test_other");
      const live = "rk_live_51Hx0123456789abcdefghijklmnop";
      const m = refusal({ ...SIM, STRIPE_SECRET_KEY: live });
      expect(m).toContain("STRIPE_SECRET_KEY");
      expect(m).not.toContain(live);
    });

    test("a value that is not an http(s) URL is refused", () => {
      expect(refusal({ STRIPE_API_BASE: "127.0.0.1:12111" })).toStartWith("STRIPE_API_BASE must be");
    });
  });

  test.each([
    ["WORKER_CONCURRENCY", "12x"],
    ["WORKER_CONCURRENCY", "0"],
    ["DB_POOL_MAX", "201"],
    ["DB_POOL_MAX", "twenty"],
    ["STRIPE_TIMEOUT_MS", "10s"],
    ["STRIPE_TIMEOUT_MS", "50"],
    ["GATEWAY_SEARCH_LAG_MS", "-1"],
    ["RETRY_LAST_TIER_ATTEMPTS", "0"],
    ["RETRY_LAST_TIER_ATTEMPTS", "4.5"],
    ["METRICS_PORT", "65536"],
    ["CONSUMER_GROUP", "has space"],
    ["SERVICE_NAME", "a/b"],
  ])("%s=%p is refused, naming the variable", (name, value) => {
    expect(refusal({ ...SIM, [name]: value })).toStartWith(`${name} must be`);
  });
});
