/**
 * The payment gateway, through the official Stripe SDK: the three calls the worker makes
 * (create-and-confirm a PaymentIntent, retrieve one by id, search ours by
 * `metadata['payment_id']`), each one HTTP request and one audited exchange.
 *
 * Retries belong to the worker's retry tiers, so the SDK never retries on its own: network
 * retries are off, and the one retry stripe-node makes anyway on a closed connection
 * (ECONNRESET/EPIPE, even with retries off) is turned off by the HTTP client below.
 * Every request carries the exchange's id in `Payorch-Exchange-Id`, so the gateway's own
 * request log can be held against the audit store.
 */
import Stripe from "stripe";

export interface GatewayConfig {
  readonly secretKey: string;
  /** The simulator's base URL (http://127.0.0.1:12111); unset means Stripe itself. */
  readonly apiBase?: string;
  readonly timeoutMs: number;
}

/** What to charge: always the payment row's own values, never a message's. */
export interface Charge {
  readonly paymentId: string;
  readonly merchantId: string;
  readonly amount: number;
  readonly currency: string;
  readonly paymentMethod: string;
}

export type Call =
  | { readonly op: "create"; readonly idempotencyKey: string; readonly charge: Charge }
  | { readonly op: "retrieve"; readonly intentId: string }
  | { readonly op: "search"; readonly paymentId: string };

/** What goes over the wire, for the audit log (no secrets, no payment-method details). */
export interface ExchangeRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly idempotencyKey?: string;
  readonly params: Record<string, unknown>;
}

export interface Answer {
  /** create and retrieve: the intent; search: every intent of the payment, newest first. */
  readonly intents: Stripe.PaymentIntent[];
  readonly error?: unknown;
  /** The gateway answered with a stored response for the idempotency key. */
  readonly replayed: boolean;
  readonly response: { readonly status: number | null; readonly body: unknown; readonly requestId: string | null };
  readonly durationMs: number;
}

export interface Gateway {
  describe(call: Call): ExchangeRequest;
  send(call: Call, exchangeId: string): Promise<Answer>;
}

export const EXCHANGE_ID_HEADER = "Payorch-Exchange-Id";

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
  automatic_payment_methods: { enabled: true, allow_redirects: "never" as const },
  metadata: { payment_id: c.paymentId, merchant_id: c.merchantId },
});

/** Stripe's search query for our payment id (ids are `pay_` + hex: nothing to escape). */
export const searchQuery = (paymentId: string) => `metadata['payment_id']:'${paymentId}'`;

const headerOf = (headers: unknown, name: string): string | undefined => {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined> | undefined)?.[name];
  return Array.isArray(v) ? v[0] : v;
};

export function createGateway(cfg: GatewayConfig): Gateway {
  const url = cfg.apiBase ? new URL(cfg.apiBase) : undefined;
  const stripe = new Stripe(cfg.secretKey, {
    timeout: cfg.timeoutMs,
    maxNetworkRetries: 0,
    telemetry: false,
    httpClient: new SingleAttemptHttpClient(),
    ...(url ? { host: url.hostname, port: Number(url.port || (url.protocol === "https:" ? 443 : 80)), protocol: url.protocol.replace(":", "") as "http" | "https" } : {}),
  });

  function describe(call: Call): ExchangeRequest {
    switch (call.op) {
      case "create":
        return { method: "POST", path: "/v1/payment_intents", idempotencyKey: call.idempotencyKey, params: redact(chargeParams(call.charge)) as Record<string, unknown> };
      case "retrieve":
        return { method: "GET", path: `/v1/payment_intents/${call.intentId}`, params: {} };
      case "search":
        return { method: "GET", path: "/v1/payment_intents/search", params: { query: searchQuery(call.paymentId) } };
    }
  }

  async function send(call: Call, exchangeId: string): Promise<Answer> {
    const headers = { [EXCHANGE_ID_HEADER]: exchangeId };
    const t0 = performance.now();
    try {
      let intents: Stripe.PaymentIntent[];
      let last: Stripe.Response<unknown>["lastResponse"];
      let body: unknown;
      if (call.op === "search") {
        const found = await stripe.paymentIntents.search({ query: searchQuery(call.paymentId) }, { headers });
        intents = found.data;
        last = found.lastResponse;
        body = { object: "search_result", data: found.data.map(redact) };
      } else {
        const intent =
          call.op === "create"
            ? await stripe.paymentIntents.create(chargeParams(call.charge), { idempotencyKey: call.idempotencyKey, headers })
            : await stripe.paymentIntents.retrieve(call.intentId, {}, { headers });
        intents = [intent];
        last = intent.lastResponse;
        body = redact(intent);
      }
      return {
        intents,
        replayed: headerOf(last.headers, "idempotent-replayed") === "true",
        response: { status: last.statusCode ?? 200, body, requestId: last.requestId ?? null },
        durationMs: performance.now() - t0,
      };
    } catch (error) {
      const se = error instanceof Stripe.errors.StripeError ? error : undefined;
      const raw = se?.raw as { payment_intent?: Stripe.PaymentIntent } | undefined;
      const connection = error instanceof Stripe.errors.StripeConnectionError || !se;
      const body = connection
        ? { error: { type: "connection", message: error instanceof Error ? error.message : String(error), code: detailCode(error) } }
        : se.raw;
      return {
        intents: raw?.payment_intent?.id ? [raw.payment_intent] : [],
        error,
        replayed: headerOf(se?.headers, "idempotent-replayed") === "true",
        response: { status: connection ? null : (se.statusCode ?? null), body: redact(body), requestId: se?.requestId ?? null },
        durationMs: performance.now() - t0,
      };
    }
  }

  return { describe, send };
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
