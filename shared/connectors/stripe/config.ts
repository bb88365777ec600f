/**
 * The Stripe gateway's settings, for every worker that talks to it (a bad value names its
 * variable). STRIPE_API_BASE set to a URL sends every call there (the simulator locally;
 * the stack always passes it). Unset or empty means Stripe itself, and then
 * STRIPE_SECRET_KEY must be given and be a test-mode key (sk_test_…): the simulator's
 * placeholder key is not one. The key is never logged or put in a message.
 */
import { ConfigError } from "../../../shared/config.ts";
import { given, int, secret, url, type Env } from "../../../shared/env.ts";

export type StripeSettings = {
  /** undefined: Stripe itself. */
  readonly stripeApiBase: string | undefined;
  /** Never logged. */
  readonly stripeSecretKey: string;
  readonly stripeTimeoutMs: number;
};

/** What the simulator accepts; never sent to Stripe. */
export const SIMULATOR_SECRET_KEY = "sk_test_simulator";
const KEY = /^\S{1,500}$/;
const TEST_KEY = /^sk_test_\S{1,500}$/;
const LIVE_KEY = /^[sr]k_live_/;

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

export function loadStripeSettings(env: Env = process.env): StripeSettings {
  const stripeApiBase = given(env, "STRIPE_API_BASE") === undefined ? undefined : url(env, "STRIPE_API_BASE", "", ["http", "https"]);
  return {
    stripeApiBase,
    stripeSecretKey: stripeSecretKey(env, stripeApiBase),
    stripeTimeoutMs: int(env, "STRIPE_TIMEOUT_MS", 10_000, { min: 100, max: 120_000 }),
  };
}
