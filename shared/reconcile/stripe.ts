/**
 * Stripe's side of a reconciliation, through the official SDK: every PaymentIntent created in
 * the window (`paymentIntents.list({ created: { gte, lt } })`, auto-paginated) and every refund
 * created in it (`refunds.list`, likewise), as GatewayRecords. Our payment id is the intent's
 * `metadata.payment_id`, our refund id the refund's `metadata.refund_id` (what the Stripe
 * connector sets). A refund of an intent created before the window is left out with its
 * intent. Against the simulator (STRIPE_API_BASE) the SDK is pointed at it with host, port
 * and protocol, as the payment worker's connector does; nothing about TLS is changed.
 *
 * Reads are safe to repeat, so unlike the connector's calls these let the SDK retry a
 * network error twice.
 */
import Stripe from "stripe";
import type { StripeSettings } from "../connectors/stripe/config.ts";
import { ReconcileError, type GatewayRead, type GatewayRecord, type GatewayRefundRecord, type GatewayStatus, type Window } from "./model.ts";

export function stripeClient(settings: StripeSettings): Stripe {
  const url = settings.stripeApiBase ? new URL(settings.stripeApiBase) : undefined;
  return new Stripe(settings.stripeSecretKey, {
    timeout: settings.stripeTimeoutMs,
    maxNetworkRetries: 2,
    telemetry: false,
    ...(url
      ? { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)), protocol: url.protocol.replace(":", "") as "http" | "https" }
      : {}),
  });
}

function statusOf(pi: Stripe.PaymentIntent): GatewayStatus {
  switch (pi.status) {
    case "succeeded":
      return "captured";
    case "requires_capture":
      return "authorized";
    case "canceled":
      return "canceled";
    case "processing":
      return "pending";
    case "requires_payment_method":
      return pi.last_payment_error ? "declined" : "other";
    default:
      return "other";
  }
}

const REFUND_STATUS: Record<string, GatewayRefundRecord["status"]> = {
  succeeded: "succeeded",
  pending: "pending",
  requires_action: "pending",
  failed: "failed",
  canceled: "failed",
};

export function refundRecord(re: Stripe.Refund): GatewayRefundRecord {
  return { ref: re.id, refundId: re.metadata?.refund_id ?? null, amount: re.amount, status: REFUND_STATUS[re.status ?? ""] ?? "pending" };
}

/** The intent in the platform's words: held or charged (`authorized`), taken (`captured`), given back (`refunded`). */
export function intentRecord(pi: Stripe.PaymentIntent, refunds: readonly Stripe.Refund[]): GatewayRecord {
  const rs = refunds.map(refundRecord);
  return {
    connector: "stripe",
    ref: pi.id,
    paymentId: pi.metadata?.payment_id ?? null,
    currency: pi.currency.toUpperCase(),
    authorized: pi.status === "succeeded" || pi.status === "requires_capture" ? pi.amount : 0,
    captured: pi.status === "succeeded" ? pi.amount_received : 0,
    refunded: rs.filter((r) => r.status === "succeeded").reduce((n, r) => n + r.amount, 0),
    status: statusOf(pi),
    detail: pi.status,
    createdAt: new Date(pi.created * 1000),
    refunds: rs,
  };
}

const intentOf = (re: Stripe.Refund): string | null => (typeof re.payment_intent === "string" ? re.payment_intent : (re.payment_intent?.id ?? null));

/** Stripe's records of the window: one per PaymentIntent created in it, with its refunds created in it. */
export async function readStripeRecords(settings: StripeSettings, window: Window, opts: { stripe?: Stripe } = {}): Promise<GatewayRead> {
  const stripe = opts.stripe ?? stripeClient(settings);
  const created = { gte: Math.floor(window.from.getTime() / 1000), lt: Math.ceil(window.to.getTime() / 1000) };
  try {
    const intents: Stripe.PaymentIntent[] = [];
    for await (const pi of stripe.paymentIntents.list({ created, limit: 100 })) intents.push(pi);
    const refunds = new Map<string, Stripe.Refund[]>();
    for await (const re of stripe.refunds.list({ created, limit: 100 })) {
      const pi = intentOf(re);
      if (pi !== null) refunds.set(pi, [...(refunds.get(pi) ?? []), re]);
    }
    return { records: intents.map((pi) => intentRecord(pi, refunds.get(pi.id) ?? [])), warnings: [] };
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeError)) throw err;
    throw new ReconcileError(
      `stripe: listing ${err.type === "StripeAuthenticationError" ? "was refused: check STRIPE_SECRET_KEY" : `failed (${err.type}${err.statusCode ? `, HTTP ${err.statusCode}` : ""}): ${err.message}`}`,
      { cause: err },
    );
  }
}
