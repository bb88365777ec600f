/**
 * What a worker asks a payment gateway, whichever gateway it is: each call is one HTTP
 * request and one audited exchange (exchange.ts). The Stripe implementation is
 * stripe/gateway.ts.
 */
import type Stripe from "stripe";

/** What to charge: always the payment row's own values, never a message's. */
export interface Charge {
  readonly paymentId: string;
  readonly merchantId: string;
  readonly amount: number;
  readonly currency: string;
  readonly paymentMethod: string;
  /** manual: authorize only; a capture follows. */
  readonly captureMethod: "automatic" | "manual";
}

export type Call =
  | { readonly op: "create"; readonly idempotencyKey: string; readonly charge: Charge }
  | { readonly op: "retrieve"; readonly intentId: string }
  | { readonly op: "search"; readonly paymentId: string }
  | { readonly op: "capture"; readonly idempotencyKey: string; readonly intentId: string; readonly amount: number }
  | { readonly op: "cancel"; readonly idempotencyKey: string; readonly intentId: string }
  | { readonly op: "refund"; readonly idempotencyKey: string; readonly intentId: string; readonly amount: number; readonly refundId: string; readonly paymentId: string }
  | { readonly op: "retrieve_refund"; readonly gatewayRefundId: string }
  | { readonly op: "list_refunds"; readonly intentId: string };

export type Op = Call["op"];

/** What goes over the wire, for the audit log (no secrets, no payment-method details). */
export interface ExchangeRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly idempotencyKey?: string;
  readonly params: Record<string, unknown>;
}

export interface Answer {
  /** Intent calls: the intent; search: every intent of the payment, newest first. */
  readonly intents: Stripe.PaymentIntent[];
  /** Refund calls: the refund; list: every refund of the intent, newest first. */
  readonly refunds: Stripe.Refund[];
  readonly error?: unknown;
  /** The gateway answered with a stored response for the idempotency key. */
  readonly replayed: boolean;
  readonly response: { readonly status: number | null; readonly body: unknown; readonly requestId: string | null };
  readonly durationMs: number;
}

export interface Gateway {
  /** The name recorded on audit documents. */
  readonly name: string;
  describe(call: Call): ExchangeRequest;
  send(call: Call, exchangeId: string): Promise<Answer>;
}

export const EXCHANGE_ID_HEADER = "Payorch-Exchange-Id";
