/**
 * Event contracts between services. Producers build events from these schemas and every
 * consumer checks them again on the way in: a record that fails is poison, not a crash.
 *
 * Versioning: `v` is bumped only for a breaking change; consumers keep accepting the
 * versions still present in retention. Adding an optional field is not breaking.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

/** Payment ids are `pay_` + 32 hex chars of a UUIDv7, so they sort by creation time. */
export const PaymentId = Type.String({ pattern: "^pay_[0-9a-f]{32}$", maxLength: 36 });
export const MerchantId = Type.String({ pattern: "^mer_[0-9a-z_]{1,40}$", maxLength: 44 });

/** Money is an integer in the currency's minor unit; never a float. */
export const Amount = Type.Integer({ minimum: 1, maximum: 99_999_999 });
/** ISO 4217 alphabetic code. The API narrows this to the codes it supports. */
export const CurrencyCode = Type.String({ pattern: "^[A-Z]{3}$", minLength: 3, maxLength: 3 });
/** A tokenised payment method (as Stripe.js produces). Card numbers never enter the platform. */
export const PaymentMethodToken = Type.String({
  pattern: "^pm_[A-Za-z0-9_]{1,96}$",
  maxLength: 99,
  description: "Payment method token, e.g. `pm_card_visa`.",
});

export const Customer = Type.Object(
  {
    email: Type.String({
      minLength: 3,
      maxLength: 254,
      pattern: "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$",
      error: "must be a valid email address",
    }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type Customer = Static<typeof Customer>;

export const PaymentStatus = Type.Union([Type.Literal("PENDING"), Type.Literal("APPROVED"), Type.Literal("DENIED")]);
export type PaymentStatus = Static<typeof PaymentStatus>;

/** ISO 8601 UTC timestamp. A pattern rather than `format` so Node consumers need no format registry. */
export const Timestamp = Type.String({
  pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$",
  maxLength: 40,
});

export const PaymentCreated = Type.Object(
  {
    v: Type.Literal(1),
    paymentId: PaymentId,
    merchantId: MerchantId,
    amount: Amount,
    currency: CurrencyCode,
    paymentMethod: PaymentMethodToken,
    customer: Customer,
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type PaymentCreated = Static<typeof PaymentCreated>;

export const PaymentResult = Type.Object(
  {
    v: Type.Literal(1),
    paymentId: PaymentId,
    merchantId: MerchantId,
    status: Type.Union([Type.Literal("APPROVED"), Type.Literal("DENIED")]),
    declineCode: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    gatewayRef: Type.String({ minLength: 1, maxLength: 255 }),
    decidedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type PaymentResult = Static<typeof PaymentResult>;

export class InvalidEventError extends Error {
  override name = "InvalidEventError";
}

/** Checks an incoming event against its schema and returns it typed, or throws InvalidEventError. */
export function checkEvent<S extends TSchema>(schema: S, value: unknown): Static<S> {
  const err = Value.Errors(schema, value).First();
  if (err) throw new InvalidEventError(`invalid event at ${err.path || "(root)"}: ${err.message}`);
  return value as Static<S>;
}
