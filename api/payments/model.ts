/**
 * HTTP shapes of the payments resource, written once in TypeBox: Elysia validates with
 * them and the OpenAPI document is generated from them. Field primitives (amount, token,
 * customer) come from shared/events.ts so the API and the event cannot drift apart; the
 * resource itself from shared/payments/resource.ts, which every event's data.object uses.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Amount, Customer, PaymentId, PaymentMethodToken, PaymentStatus, Text } from "../../shared/events.ts";
import { supportedCurrencyCodes } from "../../shared/currencies.ts";
import { CaptureMethod, PaymentResource } from "../../shared/payments/resource.ts";

export const Currency = Type.Union(
  supportedCurrencyCodes.map((c) => Type.Literal(c)),
  { error: "must be a supported ISO 4217 currency code in upper case, e.g. USD", description: "ISO 4217 code" },
);

/** Small and flat: string values only, so nobody ships a document store through it. */
export const Metadata = Type.Record(Type.String({ pattern: "^[A-Za-z0-9_.-]{1,40}$" }), Text({ maxLength: 500 }), {
  maxProperties: 20,
  additionalProperties: false,
  error: "must be an object of at most 20 string values (keys: 1-40 chars of A-Z a-z 0-9 _ . -; values up to 500 chars)",
});

/** RFC 3339: a date, a time and a zone (Z or an offset); the service checks that it names a real instant. */
const TIMESTAMP_PATTERN = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$";

/** A capture's body: nothing takes everything authorized. */
export const CaptureBody = Type.Object(
  {
    amount: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Amount.maximum,
        error: `must be an integer number of minor units between 1 and ${Amount.maximum}`,
        description: "How much to capture, at most the amount authorized; the rest is released. Default: all of it.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CaptureBody = Static<typeof CaptureBody>;

/** A cancel takes no fields (an empty body is `{}`). */
export const CancelBody = Type.Object({}, { additionalProperties: false });
export type CancelBody = Static<typeof CancelBody>;

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
    capture_method: Type.Optional(
      Type.Union(CaptureMethod.anyOf, { error: "must be automatic or manual", description: `${CaptureMethod.description} Default automatic.` }),
    ),
    capture_before: Type.Optional(
      Type.String({
        pattern: TIMESTAMP_PATTERN,
        maxLength: 40,
        error: "must be a date-time such as 2030-01-31T12:00:00Z",
        description:
          "Manual capture only: when an authorization not captured is voided. In the future and at most the capture window " +
          "(7 days unless configured) ahead, which is also the default.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreatePaymentBody = Static<typeof CreatePaymentBody>;

/** The payment as GET shows it: one schema for the API, the events' data.object and the workers. */
export { PaymentResource };

export const PaymentList = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(PaymentResource),
  has_more: Type.Boolean(),
});

export const ListPaymentsQuery = Type.Object(
  {
    // Query values arrive as strings; a pattern keeps the bound strict without coercion.
    limit: Type.Optional(Type.String({ pattern: "^(100|[1-9][0-9]?)$", error: "must be an integer between 1 and 100" })),
    starting_after: Type.Optional(Type.String({ ...PaymentId, error: "must be a payment id" })),
    status: Type.Optional(Type.Union(PaymentStatus.anyOf, { error: `must be one of ${PaymentStatus.anyOf.map((s) => s.const).join(", ")}` })),
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

export { IdempotencyHeaders } from "../idempotency/key.ts";
