/**
 * The payment and refund resources exactly as GET shows them, built in one place: the API
 * answers with them, and every merchant event carries one as `data.object` (built by the
 * transition that emits it, on Bun or Node). Written once in TypeBox; the API validates its
 * responses and generates the OpenAPI document from these schemas.
 */
import { Type, type Static } from "@sinclair/typebox";
import { PaymentId, PaymentStatus } from "../events.ts";

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const RefundId = Type.String({ pattern: "^re_[0-9a-f]{32}$", maxLength: 35 });
export const RefundStatus = Type.Union([Type.Literal("pending"), Type.Literal("succeeded"), Type.Literal("failed")]);
export const RefundReason = Type.Union([Type.Literal("duplicate"), Type.Literal("fraudulent"), Type.Literal("requested_by_customer")]);
export const CaptureMethod = Type.Union([Type.Literal("automatic"), Type.Literal("manual")], {
  description: "automatic: charged at once. manual: authorized (held), then captured with POST /v1/payments/{id}/capture.",
});

export const RefundResource = Type.Object({
  id: RefundId,
  object: Type.Literal("refund"),
  payment_id: PaymentId,
  amount: Type.Integer(),
  currency: Type.String(),
  status: RefundStatus,
  reason: Nullable(RefundReason),
  failure_reason: Nullable(Type.String({ description: "Set when status is failed." })),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
  decided_at: Nullable(Type.String({ format: "date-time" })),
});
export type RefundResource = Static<typeof RefundResource>;

export const AttemptResource = Type.Object(
  {
    connector: Type.String({ description: "The connector (gateway) this attempt went to: stripe or adyen." }),
    reason: Type.String({
      description:
        "Why: route (the merchant's routing or the default), split (a volume split), fallback (the first connector's circuit was open), failover (the previous connector did not process it).",
    }),
    outcome: Nullable(Type.String({ description: "approved, authorized, denied, or why it moved on (not processed: …); null while under way." })),
    started_at: Type.String({ format: "date-time" }),
    finished_at: Nullable(Type.String({ format: "date-time" })),
  },
  { description: "One attempt at one connector." },
);
export type AttemptResource = Static<typeof AttemptResource>;

/**
 * The customer as stored. Responses are checked against their schema, and a payment
 * stored before an input rule was tightened must still read back, so this describes
 * what is stored (Customer's shape) rather than what a create accepts today.
 */
const StoredCustomer = Type.Object({ email: Type.String(), name: Type.Optional(Type.String()) });

export const PaymentResource = Type.Object({
  id: PaymentId,
  object: Type.Literal("payment"),
  status: PaymentStatus,
  amount: Type.Integer({ description: "What was asked for (and, for a manual payment, authorized)." }),
  currency: Type.String(),
  payment_method: Type.String(),
  capture_method: CaptureMethod,
  capture_before: Nullable(Type.String({ format: "date-time", description: "Manual payments: voided if not captured by then." })),
  amount_capturable: Type.Integer({ description: "What a capture may still take (AUTHORIZED payments only)." }),
  amount_captured: Type.Integer(),
  amount_refunded: Type.Integer({ description: "Succeeded refunds." }),
  refunds: Type.Array(RefundResource, { description: "Every refund of the payment, newest first." }),
  pending_command: Nullable(
    Type.Object(
      { id: Type.String(), kind: Type.String(), amount: Nullable(Type.Integer()) },
      { description: "A capture or cancel accepted and not yet carried out." },
    ),
  ),
  customer: StoredCustomer,
  description: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.String()),
  connector: Nullable(Type.String({ description: "The connector that holds the payment; null until its first attempt." })),
  attempts: Type.Array(AttemptResource, { description: "Each attempt at a connector, oldest first." }),
  decline_code: Nullable(Type.String({ description: "Set when status is DENIED." })),
  last_error: Nullable(Type.String({ description: "Why a PENDING payment is stuck (e.g. parked in the dead-letter queue)." })),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
  decided_at: Nullable(Type.String({ format: "date-time" })),
});
export type PaymentResource = Static<typeof PaymentResource>;

/** The columns every reader selects (`PAYMENT_COLUMNS` of table alias-free payments). */
export type PaymentRow = {
  id: string;
  merchant_id: string;
  status: Static<typeof PaymentStatus>;
  amount: number;
  currency: string;
  payment_method: string;
  capture_method: "automatic" | "manual";
  capture_before: Date | null;
  amount_captured: number;
  amount_refunded: number;
  customer_email: string;
  customer_name: string | null;
  description: string | null;
  metadata: Record<string, string>;
  connector: string | null;
  decline_code: string | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  decided_at: Date | null;
};

export const PAYMENT_COLUMNS = `id, merchant_id, status, amount, currency, payment_method, capture_method, capture_before,
  amount_captured, amount_refunded, customer_email, customer_name, description, metadata, connector, decline_code, last_error,
  created_at, updated_at, decided_at`;

export type RefundRow = {
  id: string;
  payment_id: string;
  amount: number;
  currency: string;
  status: RefundResource["status"];
  reason: RefundResource["reason"];
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  decided_at: Date | null;
};

export const REFUND_COLUMNS = `id, payment_id, amount, currency, status, reason, failure_reason, created_at, updated_at, decided_at`;

export type PendingCommand = PaymentResource["pending_command"];

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function toRefundResource(r: RefundRow): RefundResource {
  return {
    id: r.id,
    object: "refund",
    payment_id: r.payment_id,
    amount: r.amount,
    currency: r.currency.trim(),
    status: r.status,
    reason: r.reason,
    failure_reason: r.failure_reason,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    decided_at: iso(r.decided_at),
  };
}

/** `refunds` newest first, `attempts` oldest first; `pending` is the capture or cancel in flight, if any. */
export function toPaymentResource(
  r: PaymentRow,
  refunds: readonly RefundRow[] = [],
  pending: PendingCommand = null,
  attempts: readonly AttemptResource[] = [],
): PaymentResource {
  return {
    id: r.id,
    object: "payment",
    status: r.status,
    amount: r.amount,
    currency: r.currency.trim(),
    payment_method: r.payment_method,
    capture_method: r.capture_method,
    capture_before: iso(r.capture_before),
    amount_capturable: r.status === "AUTHORIZED" && pending === null ? r.amount : 0,
    amount_captured: r.amount_captured,
    amount_refunded: r.amount_refunded,
    refunds: refunds.map(toRefundResource),
    pending_command: pending,
    customer: r.customer_name === null ? { email: r.customer_email } : { email: r.customer_email, name: r.customer_name },
    description: r.description,
    metadata: r.metadata,
    connector: r.connector,
    attempts: [...attempts],
    decline_code: r.decline_code,
    last_error: r.status === "PENDING" ? r.last_error : null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    decided_at: iso(r.decided_at),
  };
}
