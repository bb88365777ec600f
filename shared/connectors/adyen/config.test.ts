import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../../shared/config.ts";
import { DEFAULT_MERCHANT_ACCOUNT, loadAdyenSettings, SIMULATOR_API_KEY } from "./config.ts";

const SIM = { ADYEN_API_BASE: "http://127.0.0.1:12112" };
const KEY = "AQE_fake_key_for_these_tests_only_0123456789";

const refusal = (env: Record<string, string>): string => {
  try {
    loadAdyenSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe("Adyen settings", () => {
  test("defaults, against the simulator", () => {
    expect(loadAdyenSettings(SIM)).toEqual({
      adyenApiBase: "http://127.0.0.1:12112",
      adyenApiKey: SIMULATOR_API_KEY,
      adyenMerchantAccount: DEFAULT_MERCHANT_ACCOUNT,
      adyenTimeoutMs: 10_000,
    });
  });

  test("each setting from its variable", () => {
    expect(
      loadAdyenSettings({ ADYEN_API_BASE: "http://[::1]:9", ADYEN_API_KEY: KEY, ADYEN_MERCHANT_ACCOUNT: "Acme_Shop-1", ADYEN_TIMEOUT_MS: "2500" }),
    ).toEqual({
      adyenApiBase: "http://[::1]:9",
      adyenApiKey: KEY,
      adyenMerchantAccount: "Acme_Shop-1",
      adyenTimeoutMs: 2500,
    });
  });

  test("no ADYEN_API_BASE means Adyen's test environment, which needs a real key", () => {
    expect(loadAdyenSettings({ ADYEN_API_KEY: KEY }).adyenApiBase).toBeUndefined();
    expect(loadAdyenSettings({ ADYEN_API_BASE: "  ", ADYEN_API_KEY: KEY }).adyenApiBase).toBeUndefined();
    expect(refusal({})).toContain("ADYEN_API_KEY must be set");
    expect(refusal({ ADYEN_API_KEY: SIMULATOR_API_KEY })).toContain("ADYEN_API_KEY");
  });

  test("the simulator is reached on loopback only, over plain HTTP", () => {
    for (const bad of ["http://adyen-sim:12112", "http://10.0.0.5:12112", "https://checkout-test.adyen.com", "https://127.0.0.1:12112", "127.0.0.1:12112"]) {
      expect(refusal({ ADYEN_API_BASE: bad })).toContain("ADYEN_API_BASE");
    }
  });

  test("refusals name the variable, and never show the key", () => {
    const secret = "AQE with spaces in it";
    const msg = refusal({ ...SIM, ADYEN_API_KEY: secret });
    expect(msg).toContain("ADYEN_API_KEY");
    expect(msg).not.toContain(secret);
    expect(refusal({ ...SIM, ADYEN_MERCHANT_ACCOUNT: "no spaces allowed" })).toContain("ADYEN_MERCHANT_ACCOUNT");
    expect(refusal({ ...SIM, ADYEN_TIMEOUT_MS: "10s" })).toContain("ADYEN_TIMEOUT_MS");
    expect(refusal({ ...SIM, ADYEN_TIMEOUT_MS: "50" })).toContain("ADYEN_TIMEOUT_MS");
  });
});
