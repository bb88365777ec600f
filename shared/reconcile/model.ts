/**
 * Reconciliation's shapes. The report is what operators read (the CLI, GET
 * /ops/reconciliation): one TypeBox schema, its type taken from it. The records in between
 * are internal: each connector's reader (stripe.ts, adyen.ts) turns its gateway's own objects
 * into GatewayRecord, and the platform side (platform.ts) reads PlatformPayment, so
 * compare.ts decides from these alone. Amounts are integers in the platform's minor units.
 */
import { Type, type Static } from "@sinclair/typebox";
import type { ConnectorName } from "../connectors/types.ts";
import { Connector } from "../routing/model.ts";

/** [from, to): from inclusive, to exclusive. */
export type Window = { readonly from: Date; readonly to: Date };

/**
 * What a gateway holds for one of its payments (a Stripe PaymentIntent, an Adyen
 * pspReference), in the platform's words: `authorized` is what is held or was charged (0 once
 * declined, voided or expired, or while still processing), `captured` what was taken,
 * `refunded` what its succeeded refunds gave back.
 */
export type GatewayRecord = {
  readonly connector: ConnectorName;
  readonly ref: string;
  /** Our payment id, as the gateway carries it (Stripe metadata.payment_id, Adyen's merchant reference). */
  readonly paymentId: string | null;
  readonly currency: string;
  readonly authorized: number;
  readonly captured: number;
  readonly refunded: number;
  readonly status: GatewayStatus;
  /** The gateway's own word for the state (a Stripe status, an Adyen record type). */
  readonly detail: string;
  readonly createdAt: Date;
  readonly refunds: readonly GatewayRefundRecord[];
};

export type GatewayStatus = "authorized" | "captured" | "declined" | "canceled" | "pending" | "other";

export type GatewayRefundRecord = {
  readonly ref: string;
  /** Our refund id, when the gateway carries it (Stripe metadata.refund_id). */
  readonly refundId: string | null;
  readonly amount: number;
  readonly status: "pending" | "succeeded" | "failed";
};

/** What one connector's reader found in a window; `warnings` say what it could not read (a report not out yet). */
export type GatewayRead = { readonly records: readonly GatewayRecord[]; readonly warnings: readonly string[] };

/** Reads one connector's records of a window: what reconcile() is given per connector. */
export type GatewayReader = (window: Window) => Promise<GatewayRead>;
export type ReconcileSources = Readonly<Partial<Record<ConnectorName, GatewayReader>>>;

export const PAYMENT_STATUSES = ["PENDING", "AUTHORIZED", "APPROVED", "DENIED", "CANCELED"] as const;

/** A payment row as reconciliation reads it (shared/db/migrations 0001, 0014, 0015). */
export type PlatformPayment = {
  readonly id: string;
  readonly connector: ConnectorName | null;
  readonly status: (typeof PAYMENT_STATUSES)[number];
  readonly amount: number;
  readonly currency: string;
  readonly captured: number;
  /** Succeeded refunds (amount_refunded). */
  readonly refunded: number;
  /** Refunds still pending (amount_refund_reserved − amount_refunded). */
  readonly pendingRefunds: number;
  /** gateway_intent_id: the payment's ref at its connector, once an answer named it. */
  readonly gatewayRef: string | null;
  readonly createdAt: Date;
};

export const MISMATCH_KINDS = ["missing_locally", "missing_at_gateway", "amount_mismatch"] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

const Kind = Type.Unsafe<MismatchKind>(Type.Union(MISMATCH_KINDS.map((k) => Type.Literal(k))));
const Money = Type.Integer({ minimum: 0 });

const Side = (description: string) => Type.Object({ status: Type.String(), amount: Money, captured: Money, refunded: Money }, { description });

export const Mismatch = Type.Object({
  kind: Kind,
  connector: Connector,
  payment_id: Type.Union([Type.String(), Type.Null()]),
  /** Several refs (retries under new keys) are joined with `+`, oldest first. */
  gateway_ref: Type.Union([Type.String(), Type.Null()], { description: "The gateway's ref(s) of the payment, `+`-joined when it holds several" }),
  currency: Type.String(),
  /** What differs, in words (`captured 2000 here, 0 at stripe`). */
  reason: Type.String(),
  platform: Type.Union([Side("The payment as the platform holds it: its status, amount, amount_captured, amount_refunded"), Type.Null()]),
  gateway: Type.Union([
    Side("What the connector holds, summed over its records: status, amount authorized (held or charged), captured, refunded"),
    Type.Null(),
  ]),
});
export type Mismatch = Static<typeof Mismatch>;

const Counts = Type.Object({ missing_locally: Type.Integer(), missing_at_gateway: Type.Integer(), amount_mismatch: Type.Integer() });
export type Counts = Static<typeof Counts>;

const Span = Type.Object({ from: Type.String({ description: "ISO 8601, inclusive" }), to: Type.String({ description: "ISO 8601, exclusive" }) });

export const Report = Type.Object({
  date: Type.String({ description: "The UTC day reconciled, YYYY-MM-DD" }),
  window: Type.Object(
    {
      platform: Span,
      gateway: Span,
    },
    { description: "Platform payments created on the day, matched against gateway records created in the wider window" },
  ),
  connectors: Type.Array(Connector, { description: "The connectors compared" }),
  summary: Type.Object({
    mismatches: Type.Integer(),
    by_kind: Counts,
    by_connector: Type.Record(Type.String(), Type.Composite([Counts, Type.Object({ payments: Type.Integer(), gateway_records: Type.Integer() })])),
    unchecked: Type.Record(Type.String(), Type.Integer(), { description: "Payments of the day at connectors that were not compared, by connector" }),
  }),
  warnings: Type.Array(Type.String()),
  mismatches: Type.Array(Mismatch),
});
export type Report = Static<typeof Report>;

/** A source could not be read or gave what cannot be understood; the message names what, never a key. */
export class ReconcileError extends Error {
  override name = "ReconcileError";
}
