/**
 * HTTP shapes of refunds, in TypeBox (Elysia validates with them; the OpenAPI document is
 * generated from them). The resource is shared/payments/resource.ts's, as every refund
 * event's data.object.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Amount, PaymentId } from "../../shared/events.ts";
import { RefundId, RefundReason, RefundResource } from "../../shared/payments/resource.ts";
import { ListPaymentsQuery } from "../payments/model.ts";

export { RefundResource };

export const CreateRefundBody = Type.Object(
  {
    payment_id: Type.String({ ...PaymentId, error: "must be a payment id", description: "The payment to refund: an APPROVED (captured) one." }),
    amount: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: Amount.maximum,
        error: `must be an integer number of minor units between 1 and ${Amount.maximum}`,
        description: "At most what was captured and is not refunded yet (refunds still pending count). Default: all of that.",
      }),
    ),
    reason: Type.Optional(Type.Union(RefundReason.anyOf, { error: "must be duplicate, fraudulent or requested_by_customer" })),
  },
  { additionalProperties: false },
);
export type CreateRefundBody = Static<typeof CreateRefundBody>;

export const RefundList = Type.Object({
  object: Type.Literal("list"),
  data: Type.Array(RefundResource),
  has_more: Type.Boolean(),
});

export const ListRefundsQuery = Type.Object(
  {
    payment_id: Type.Optional(Type.String({ ...PaymentId, error: "must be a payment id" })),
    limit: ListPaymentsQuery.properties.limit,
    starting_after: Type.Optional(Type.String({ ...RefundId, error: "must be a refund id" })),
  },
  { additionalProperties: false },
);
export type ListRefundsQuery = Static<typeof ListRefundsQuery>;

export const RefundIdParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
});
