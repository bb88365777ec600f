/**
 * The Adyen connector's settings, for every worker that talks to it (a bad value names its
 * variable). ADYEN_API_BASE set to a loopback URL sends every call to the simulator's Adyen
 * mode (`SIM_GATEWAY=adyen`); unset or empty means Adyen's test environment
 * (checkout-test.adyen.com), and then ADYEN_API_KEY must be a real key: the simulator's
 * placeholder is not one. Never the live environment: nothing here can select it. The key
 * is never logged or put in a message.
 */
import { ConfigError } from "../../../shared/config.ts";
import { given, int, secret, text, url, type Env } from "../../../shared/env.ts";
import { LOOPBACK_HOSTS } from "./loopback-client.ts";

export type AdyenSettings = {
  /** undefined: Adyen's test environment. */
  readonly adyenApiBase: string | undefined;
  /** Never logged. */
  readonly adyenApiKey: string;
  readonly adyenMerchantAccount: string;
  readonly adyenTimeoutMs: number;
};

/** What the simulator accepts (any non-empty key); never sent to Adyen. */
export const SIMULATOR_API_KEY = "AQE_test_simulator_key";
export const DEFAULT_MERCHANT_ACCOUNT = "PayorchTestECOM";

const KEY = /^[\x21-\x7e]{1,1024}$/;
const MERCHANT_ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;

function apiBase(env: Env): string | undefined {
  if (given(env, "ADYEN_API_BASE") === undefined) return undefined;
  const raw = url(env, "ADYEN_API_BASE", "", ["http"]);
  let host: string;
  try {
    host = new URL(raw).hostname;
  } catch {
    throw new ConfigError(`ADYEN_API_BASE must be a loopback URL of the simulator (${LOOPBACK_HOSTS.join(", ")}), got ${JSON.stringify(raw)}`);
  }
  if (!LOOPBACK_HOSTS.includes(host)) {
    throw new ConfigError(
      `ADYEN_API_BASE must be a loopback URL of the simulator (${LOOPBACK_HOSTS.join(", ")}); unset it for Adyen's test environment, got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

function apiKey(env: Env, base: string | undefined): string {
  const key = secret(env, "ADYEN_API_KEY", KEY, "an Adyen API key (printable, no spaces, at most 1024 characters)");
  if (base !== undefined) return key ?? SIMULATOR_API_KEY;
  if (key === undefined || key === SIMULATOR_API_KEY) {
    throw new ConfigError("ADYEN_API_KEY must be set to an Adyen test API key when ADYEN_API_BASE is unset or empty, which means Adyen's test environment");
  }
  return key;
}

export function loadAdyenSettings(env: Env = process.env): AdyenSettings {
  const adyenApiBase = apiBase(env);
  return {
    adyenApiBase,
    adyenApiKey: apiKey(env, adyenApiBase),
    adyenMerchantAccount: text(
      env,
      "ADYEN_MERCHANT_ACCOUNT",
      DEFAULT_MERCHANT_ACCOUNT,
      MERCHANT_ACCOUNT,
      "an Adyen merchant account code (letters, digits, _ . -, at most 80)",
    ),
    adyenTimeoutMs: int(env, "ADYEN_TIMEOUT_MS", 10_000, { min: 100, max: 120_000 }),
  };
}
