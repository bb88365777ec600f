/**
 * The connectors a worker may use, from its environment: Stripe always (its settings:
 * stripe/config.ts), Adyen when ADYEN_API_BASE or ADYEN_API_KEY is given (adyen/config.ts).
 * ROUTING_DEFAULT lists, in order, the connectors of a payment no routing rule matches
 * (default `stripe`); each must be configured. A bad value names its variable.
 */
import { ConfigError, given, list, type Env } from "../env.ts";
import { createAdyenGateway } from "./adyen/gateway.ts";
import { loadAdyenSettings } from "./adyen/config.ts";
import { createStripeGateway } from "./stripe/gateway.ts";
import { loadStripeSettings } from "./stripe/config.ts";
import { CONNECTORS, type Connector, type ConnectorName } from "./types.ts";

export type Connectors = {
  readonly byName: Readonly<Partial<Record<ConnectorName, Connector>>>;
  readonly defaults: readonly ConnectorName[];
  readonly describe: Record<string, string>;
};

const isConnector = (v: string): v is ConnectorName => (CONNECTORS as readonly string[]).includes(v);

export function loadConnectors(env: Env = process.env): Connectors {
  const stripe = loadStripeSettings(env);
  const byName: Partial<Record<ConnectorName, Connector>> = {
    stripe: createStripeGateway({
      secretKey: stripe.stripeSecretKey,
      ...(stripe.stripeApiBase ? { apiBase: stripe.stripeApiBase } : {}),
      timeoutMs: stripe.stripeTimeoutMs,
    }),
  };
  // Where each goes, for the start-up log line (never a key).
  const describe: Record<string, string> = { stripe: stripe.stripeApiBase ?? "stripe" };
  if (given(env, "ADYEN_API_BASE") !== undefined || given(env, "ADYEN_API_KEY") !== undefined) {
    const adyen = loadAdyenSettings(env);
    byName.adyen = createAdyenGateway({
      apiKey: adyen.adyenApiKey,
      ...(adyen.adyenApiBase ? { apiBase: adyen.adyenApiBase } : {}),
      merchantAccount: adyen.adyenMerchantAccount,
      timeoutMs: adyen.adyenTimeoutMs,
    });
    describe.adyen = adyen.adyenApiBase ?? "adyen test environment";
  }
  const defaults = list(env, "ROUTING_DEFAULT", ["stripe"], isConnector, `connectors (${CONNECTORS.join(", ")})`) as ConnectorName[];
  const missing = defaults.filter((c) => byName[c] === undefined);
  if (missing.length > 0) throw new ConfigError(`ROUTING_DEFAULT names ${missing.join(", ")}, which has no settings (ADYEN_API_BASE or ADYEN_API_KEY)`);
  return { byName, defaults, describe };
}
