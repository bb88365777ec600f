/**
 * Stripe, through the official SDK: create-and-confirm a PaymentIntent, retrieve one, search
 * ours by `metadata['payment_id']`, capture, cancel, refund, and find refunds. Each call is
 * one HTTP request and one audited exchange.
 *
 * Retries belong to the workers' retry tiers, so the SDK never retries on its own: network
 * retries are off, and the one retry stripe-node makes anyway on a closed connection
 * (ECONNRESET/EPIPE, even with retries off) is turned off by the HTTP client below. Every
 * request carries the exchange's id in `Payorch-Exchange-Id`, so the gateway's own request
 * log can be held against the audit store.
 */
import Stripe from "stripe";
import { EXCHANGE_ID_HEADER, type Answer, type Call, type Charge, type Connector, type ExchangeRequest } from "../types.ts";
import { classify, toPayment, toRefund } from "./normalize.ts";

export interface StripeConfig {
  readonly secretKey: string;
  /** The simulator's base URL (http://127.0.0.1:12111); unset means Stripe itself. */
  readonly apiBase?: string;
  readonly timeoutMs: number;
}

/** Passes requests through; a closed connection surfaces as an error the SDK does not retry. */
class SingleAttemptHttpClient extends Stripe.HttpClient {
  readonly #inner = Stripe.createNodeHttpClient();
  override getClientName(): string {
    return this.#inner.getClientName();
  }
  override makeRequest(...args: Parameters<Stripe.HttpClient["makeRequest"]>): ReturnType<Stripe.HttpClient["makeRequest"]> {
    return this.#inner.makeRequest(...args).catch((err: unknown) => {
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code !== "string" || !Stripe.HttpClient.CONNECTION_CLOSED_ERROR_CODES.includes(code)) throw err;
      throw Object.assign(new Error(`connection closed by the gateway (${code})`), { code: "ECONNCLOSED", cause: err });
    });
  }
}

const chargeParams = (c: Charge) => ({
  amount: c.amount,
  currency: c.currency.toLowerCase(),
  payment_method: c.paymentMethod,
  confirm: true,
  // Only when manual: the parameters of an automatic charge stay what they always were, so a
  // retry under a key first used before manual capture existed is not an idempotency error.
  ...(c.captureMethod === "manual" ? { capture_method: "manual" as const } : {}),
  automatic_payment_methods: { enabled: true, allow_redirects: "never" as const },
  metadata: { payment_id: c.paymentId, merchant_id: c.merchantId },
});

/** Stripe's search query for our payment id (ids are `pay_` + hex: nothing to escape). */
export const searchQuery = (paymentId: string) => `metadata['payment_id']:'${paymentId}'`;

const refundParams = (c: Extract<Call, { op: "refund" }>) => ({
  payment_intent: c.ref,
  amount: c.amount,
  metadata: { refund_id: c.refundId, payment_id: c.paymentId },
});

const headerOf = (headers: unknown, name: string): string | undefined => {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined> | undefined)?.[name];
  return Array.isArray(v) ? v[0] : v;
};

export function describe(call: Call): ExchangeRequest {
  switch (call.op) {
    case "create":
      return {
        method: "POST",
        path: "/v1/payment_intents",
        idempotencyKey: call.idempotencyKey,
        params: redact(chargeParams(call.charge)) as Record<string, unknown>,
      };
    case "retrieve":
      return { method: "GET", path: `/v1/payment_intents/${call.ref}`, params: {} };
    case "search":
      return { method: "GET", path: "/v1/payment_intents/search", params: { query: searchQuery(call.paymentId) } };
    case "capture":
      return {
        method: "POST",
        path: `/v1/payment_intents/${call.ref}/capture`,
        idempotencyKey: call.idempotencyKey,
        params: { amount_to_capture: call.amount },
      };
    case "cancel":
      return { method: "POST", path: `/v1/payment_intents/${call.ref}/cancel`, idempotencyKey: call.idempotencyKey, params: {} };
    case "refund":
      return { method: "POST", path: "/v1/refunds", idempotencyKey: call.idempotencyKey, params: refundParams(call) };
    case "retrieve_refund":
      return { method: "GET", path: `/v1/refunds/${call.gatewayRefundId}`, params: {} };
    case "list_refunds":
      return { method: "GET", path: "/v1/refunds", params: { payment_intent: call.ref, limit: 100 } };
  }
}

/** Stripe keeps an idempotency key for 24 hours. */
export const STRIPE_KEY_WINDOW_MS = 24 * 60 * 60 * 1000;

export function createStripeGateway(cfg: StripeConfig): Connector {
  const url = cfg.apiBase ? new URL(cfg.apiBase) : undefined;
  const stripe = new Stripe(cfg.secretKey, {
    timeout: cfg.timeoutMs,
    maxNetworkRetries: 0,
    telemetry: false,
    httpClient: new SingleAttemptHttpClient(),
    ...(url
      ? { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)), protocol: url.protocol.replace(":", "") as "http" | "https" }
      : {}),
  });

  /** The call's result: intents or refunds, and the SDK's record of the HTTP answer. */
  async function run(
    call: Call,
    opts: Stripe.RequestOptions,
  ): Promise<{ intents: Stripe.PaymentIntent[]; refunds: Stripe.Refund[]; last: Stripe.Response<unknown>["lastResponse"]; body: unknown }> {
    const key = "idempotencyKey" in call ? { ...opts, idempotencyKey: call.idempotencyKey } : opts;
    const intent = (pi: Stripe.Response<Stripe.PaymentIntent>) => ({ intents: [pi], refunds: [], last: pi.lastResponse, body: redact(pi) });
    const refund = (re: Stripe.Response<Stripe.Refund>) => ({ intents: [], refunds: [re], last: re.lastResponse, body: redact(re) });
    switch (call.op) {
      case "create":
        return intent(await stripe.paymentIntents.create(chargeParams(call.charge), key));
      case "retrieve":
        return intent(await stripe.paymentIntents.retrieve(call.ref, {}, opts));
      case "capture":
        return intent(await stripe.paymentIntents.capture(call.ref, { amount_to_capture: call.amount }, key));
      case "cancel":
        return intent(await stripe.paymentIntents.cancel(call.ref, {}, key));
      case "refund":
        return refund(await stripe.refunds.create(refundParams(call), key));
      case "retrieve_refund":
        return refund(await stripe.refunds.retrieve(call.gatewayRefundId, {}, opts));
      case "search": {
        const found = await stripe.paymentIntents.search({ query: searchQuery(call.paymentId) }, opts);
        return { intents: found.data, refunds: [], last: found.lastResponse, body: { object: "search_result", data: found.data.map(redact) } };
      }
      case "list_refunds": {
        const found = await stripe.refunds.list({ payment_intent: call.ref, limit: 100 }, opts);
        return { intents: [], refunds: found.data, last: found.lastResponse, body: { object: "list", data: found.data.map(redact) } };
      }
    }
  }

  async function send(call: Call, exchangeId: string): Promise<Answer> {
    const t0 = performance.now();
    try {
      const { intents, refunds, last, body } = await run(call, { headers: { [EXCHANGE_ID_HEADER]: exchangeId } });
      return {
        payments: intents.map(toPayment),
        refunds: refunds.map(toRefund),
        replayed: headerOf(last.headers, "idempotent-replayed") === "true",
        response: { status: last.statusCode ?? 200, body, requestId: last.requestId ?? null },
        durationMs: performance.now() - t0,
      };
    } catch (error) {
      const se = error instanceof Stripe.errors.StripeError ? error : undefined;
      const connection = error instanceof Stripe.errors.StripeConnectionError || !se;
      const body = connection
        ? { error: { type: "connection", message: error instanceof Error ? error.message : String(error), code: detailCode(error) } }
        : se.raw;
      const classified = classify(error);
      return {
        payments: classified.payment ? [classified.payment] : [],
        refunds: [],
        error: classified,
        replayed: headerOf(se?.headers, "idempotent-replayed") === "true",
        response: { status: connection ? null : (se.statusCode ?? null), body: redact(body), requestId: se?.requestId ?? null },
        durationMs: performance.now() - t0,
      };
    }
  }

  return { name: "stripe", lookup: "search", keyWindowMs: STRIPE_KEY_WINDOW_MS, asyncCommands: false, describe, send };
}

function detailCode(error: unknown): string | undefined {
  const detail = (error as { detail?: { code?: unknown } } | null)?.detail;
  return typeof detail?.code === "string" ? detail.code : undefined;
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
