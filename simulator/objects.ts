/**
 * The JSON shapes Stripe returns: PaymentIntent, PaymentMethod and the card error that
 * rides on a PaymentIntent. Field names and nulls follow Stripe's API reference, so code
 * written against the SDK's types reads them the same way here.
 */
import { docUrl, type ErrorBody } from "./errors.ts";
import type { CreateParams } from "./params.ts";
import type { Decline, TestCard } from "./payment-methods.ts";

export type PaymentMethodObject = ReturnType<typeof paymentMethodObject>;

export function paymentMethodObject(id: string, card: TestCard, created: number) {
  return {
    id,
    object: "payment_method" as const,
    allow_redisplay: "unspecified",
    billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: "pass" },
      country: "US",
      display_brand: card.brand,
      exp_month: 12,
      exp_year: new Date(created * 1000).getUTCFullYear() + 5,
      funding: card.funding,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      wallet: null,
    },
    created,
    customer: null,
    livemode: false,
    metadata: {},
    type: "card" as const,
  };
}

export type IntentStatus =
  | "requires_payment_method"
  | "requires_confirmation"
  | "requires_action"
  | "processing"
  | "requires_capture"
  | "canceled"
  | "succeeded";

/** `automatic`: the gateway released an authorization left uncaptured for 7 days. */
export type CancellationReason = "duplicate" | "fraudulent" | "requested_by_customer" | "abandoned" | "automatic";

export type PaymentIntent = {
  id: string;
  object: "payment_intent";
  allowed_payment_method_types: string[] | null;
  amount: number;
  amount_capturable: number;
  amount_received: number;
  application: null;
  application_fee_amount: null;
  automatic_payment_methods: { enabled: boolean; allow_redirects: "always" | "never" } | null;
  canceled_at: number | null;
  cancellation_reason: CancellationReason | null;
  capture_method: "automatic" | "automatic_async" | "manual";
  client_secret: string;
  confirmation_method: "automatic";
  created: number;
  currency: string;
  customer: null;
  customer_account: null;
  description: string | null;
  excluded_payment_method_types: null;
  last_payment_error: (ErrorBody & { payment_method: PaymentMethodObject }) | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  next_action: { type: "use_stripe_sdk"; use_stripe_sdk: Record<string, string> } | null;
  on_behalf_of: null;
  payment_method: string | null;
  payment_method_configuration_details: null;
  payment_method_options: { card: { request_three_d_secure: "automatic" } };
  payment_method_types: string[];
  processing: null;
  receipt_email: null;
  review: null;
  setup_future_usage: null;
  shipping: null;
  source: null;
  statement_descriptor: null;
  statement_descriptor_suffix: null;
  status: IntentStatus;
  transfer_group: null;
};

export function cardError(d: Decline, charge: string, pm: PaymentMethodObject): ErrorBody & { payment_method: PaymentMethodObject } {
  return {
    ...(d.advice_code ? { advice_code: d.advice_code } : {}),
    charge,
    code: d.code,
    decline_code: d.decline_code,
    doc_url: docUrl(d.code),
    message: d.message,
    ...(d.param ? { param: d.param } : {}),
    payment_method: pm,
    type: "card_error",
  };
}

export function newIntent(f: {
  id: string;
  clientSecret: string;
  created: number;
  params: CreateParams;
  automaticPaymentMethods: PaymentIntent["automatic_payment_methods"];
  paymentMethod: string | null;
}): PaymentIntent {
  const p = f.params;
  return {
    id: f.id,
    object: "payment_intent",
    allowed_payment_method_types: p.paymentMethodTypes,
    amount: p.amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: f.automaticPaymentMethods,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: p.captureMethod,
    client_secret: f.clientSecret,
    confirmation_method: "automatic",
    created: f.created,
    currency: p.currency,
    customer: null,
    customer_account: null,
    description: p.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: p.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: f.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: "automatic" } },
    payment_method_types: p.paymentMethodTypes ?? ["card"],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: f.paymentMethod ? "requires_confirmation" : "requires_payment_method",
    transfer_group: null,
  };
}
