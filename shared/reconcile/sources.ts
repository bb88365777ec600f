/**
 * The connectors' readers for a reconciliation, from the environment, by the workers' rule
 * (shared/connectors/registry.ts): Stripe always (stripe/config.ts: STRIPE_API_BASE for the
 * simulator, else Stripe itself with STRIPE_SECRET_KEY), Adyen when ADYEN_API_BASE or
 * ADYEN_API_KEY is given (adyen/config.ts). Only the settings are shared with the workers:
 * reconciliation reads lists and reports, which no Connector does. A bad value is a
 * ConfigError naming its variable, never a key.
 */
import { loadAdyenSettings } from "../connectors/adyen/config.ts";
import { loadStripeSettings } from "../connectors/stripe/config.ts";
import { given, type Env } from "../env.ts";
import { readAdyenRecords } from "./adyen.ts";
import type { GatewayReader, ReconcileSources } from "./model.ts";
import { readStripeRecords } from "./stripe.ts";

export function loadReconcileSources(env: Env = process.env): ReconcileSources {
  const stripe = loadStripeSettings(env);
  const sources: { stripe: GatewayReader; adyen?: GatewayReader } = { stripe: (w) => readStripeRecords(stripe, w) };
  if (given(env, "ADYEN_API_BASE") !== undefined || given(env, "ADYEN_API_KEY") !== undefined) {
    const adyen = loadAdyenSettings(env);
    sources.adyen = (w) => readAdyenRecords(adyen, w);
  }
  return sources;
}
