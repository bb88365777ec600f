/**
 * HTTP shapes of the payments resource, written once in TypeBox: Elysia validates with
 * them and the OpenAPI document is generated from them. Field primitives (amount, token,
 * customer) come from shared/events.ts so the API and the event cannot drift apart.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Amount, Customer, PaymentId, PaymentMethodToken, PaymentStatus, Text } from "../../shared/events.ts";
import { supportedCurrencyCodes } from "../../shared/currencies.ts";

export const Currency = Type.Union(
  supportedCurrencyCodes.map((c) => Type.Literal(c)),
  { error: "must be a supported ISO 4217 currency code in upper case, e.g. USD", description: "ISO 4217 code" },
);

/** Small and flat: string values only, so nobody ships a document store through it. */
export const Metadata = Type.Record(
  Type.String({ pattern: "^[A-Za-z0-9_.-]{1,40}$" }),
  Text({ maxLength: 500 }),
  {
    maxProperties: 20,
    additionalProperties: false,
    error: "must be an object of at most 20 string values (keys: 1-40 chars of A-Z a-z 0-9 _ . -; values up to 500 chars)",
  },
);

export const CreatePaymentBody = Type.Object(
  {
    amount: Type.Integer({
      minimum: 1,
      maximum: Amount.maximum,
      error: `must be an integer number of minor units between 1 and ${Amount.maximum}`,
      description: "Amount in the currency's minor unit (cents for USD).",
    }),
    currency: Currency,
    payment_method: Type.String({
      ...PaymentMethodToken,
      error: "must be a payment method token such as pm_card_visa",
    }),
    customer: Customer,
    description: Type.Optional(Text({ maxLength: 500 })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type CreatePaymentBody = Static<typeof CreatePaymentBody>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

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
  amount: Type.Integer(),
  currency: Type.String(),
  payment_method: Type.String(),
  customer: StoredCustomer,
  description: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.String()),
  decline_code: Nullable(Type.String({ description: "Set when status is DENIED." })),
  last_error: Nullable(
    Type.String({ description: "Why a PENDING payment is stuck (e.g. parked in the dead-letter queue)." }),
  ),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
  decided_at: Nullable(Type.String({ format: "date-time" })),
});
export type PaymentResource = Static<typeof PaymentResource>;

export const PaymentList = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(PaymentResource),
  has_more: Type.Boolean(),
});

export const ListPaymentsQuery = Type.Object(
  {
    // Query values arrive as strings; a pattern keeps the bound strict without coercion.
    limit: Type.Optional(
      Type.String({ pattern: "^(100|[1-9][0-9]?)$", error: "must be an integer between 1 and 100" }),
    ),
    starting_after: Type.Optional(Type.String({ ...PaymentId, error: "must be a payment id" })),
    status: Type.Optional(Type.Union(PaymentStatus.anyOf, { error: "must be PENDING, APPROVED or DENIED" })),
  },
  { additionalProperties: false },
);
export type ListPaymentsQuery = Static<typeof ListPaymentsQuery>;

export const PaymentIdParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
});

export const ErrorResponse = Type.Object({
  error: Type.Object({
    type: Type.String(),
    code: Type.String(),
    message: Type.String(),
    param: Type.Optional(Type.String()),
  }),
});

export const IdempotencyHeaders = Type.Object({
  "idempotency-key": Type.String({
    minLength: 1,
    maxLength: 255,
    description: "Unique per logical request; replays return the stored response for 24 hours.",
  }),
});
