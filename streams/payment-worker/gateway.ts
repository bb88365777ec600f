/**
 * The one call to the payment gateway, through the official Stripe SDK:
 * create and confirm a PaymentIntent, idempotency key = payment id.
 *
 * The same key is used on every attempt, so a retry after a timeout or a
 * lost response replays Stripe's stored answer instead of charging again.
 * We never mint a new key on our own: if Stripe ever stored a 500 under a key,
 * the payment goes to the DLQ for an operator rather than risk a second charge.
 */
import Stripe from "stripe";
import type { PaymentCreated } from "../../shared/events.ts";

export interface GatewayConfig {
  readonly secretKey: string;
  /** The simulator's base URL (http://127.0.0.1:12111); unset means Stripe itself. */
  readonly apiBase?: string;
  readonly timeoutMs: number;
}

/** What went over the wire, for the audit log (no secrets, no payment-method details). */
export interface Exchange {
  readonly request: { method: "POST"; path: string; idempotencyKey: string; params: Record<string, unknown> };
  readonly response: { status: number | null; body: unknown };
  readonly startedAt: Date;
  readonly durationMs: number;
}

export interface Gateway {
  charge(evt: PaymentCreated): Promise<{ intent?: Stripe.PaymentIntent; error?: unknown; exchange: Exchange }>;
}

export function createGateway(cfg: GatewayConfig): Gateway {
  const url = cfg.apiBase ? new URL(cfg.apiBase) : undefined;
  const stripe = new Stripe(cfg.secretKey, {
    timeout: cfg.timeoutMs,
    // Retries belong to the retry tiers, so each attempt is one audited exchange.
    maxNetworkRetries: 0,
    telemetry: false,
    ...(url ? { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)), protocol: url.protocol.replace(":", "") as "http" | "https" } : {}),
  });
  return {
    async charge(evt) {
      const params = {
        amount: evt.amount,
        currency: evt.currency.toLowerCase(),
        payment_method: evt.paymentMethod,
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: "never" as const },
        metadata: { payment_id: evt.paymentId, merchant_id: evt.merchantId },
      };
      const startedAt = new Date();
      const t0 = performance.now();
      const request = { method: "POST" as const, path: "/v1/payment_intents", idempotencyKey: evt.paymentId, params: redact(params) as Record<string, unknown> };
      try {
        const intent = await stripe.paymentIntents.create(params, { idempotencyKey: evt.paymentId });
        const exchange = { request, response: { status: 200, body: redact(intent) }, startedAt, durationMs: performance.now() - t0 };
        return { intent, exchange };
      } catch (error) {
        const se = error instanceof Stripe.errors.StripeError ? error : undefined;
        const body = se?.raw ?? { error: { type: "connection", message: error instanceof Error ? error.message : String(error) } };
        const exchange = { request, response: { status: se?.statusCode ?? null, body: redact(body) }, startedAt, durationMs: performance.now() - t0 };
        return { error, exchange };
      }
    },
  };
}

const HIDDEN = new Set(["client_secret", "payment_method", "payment_method_details", "source", "card", "billing_details", "headers"]);

/** Drops secrets and payment-method details, keeps the shape (what an auditor needs). */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = HIDDEN.has(k) ? (v === null ? null : "[redacted]") : redact(v, depth + 1);
  }
  return out;
}
