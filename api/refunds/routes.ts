/**
 * /v1/refunds controller: turns HTTP into service calls and back. Authentication has
 * already run (the app's onRequest hook).
 */
import { Elysia } from "elysia";
import { parseJsonBody } from "../http/json-body.ts";
import { merchantOf, requestInfo } from "../http/request-context.ts";
import { commandHttpResponse } from "../idempotency/command.ts";
import { checkIdempotencyKey, IdempotencyHeaders } from "../idempotency/key.ts";
import { ErrorResponse } from "../payments/model.ts";
import { CreateRefundBody, ListRefundsQuery, RefundIdParams, RefundList, RefundResource } from "./model.ts";
import type { RefundsService } from "./service.ts";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse } as const;
const tags = ["refunds"];

export function refundsRoutes(deps: { service: RefundsService; bodyLimitBytes: number }) {
  return new Elysia({ name: "refunds", prefix: "/v1/refunds", normalize: false })
    .post(
      "",
      async ({ body, headers, request }) => {
        const result = await deps.service.create({
          merchantId: merchantOf(request),
          idempotencyKey: checkIdempotencyKey(headers["idempotency-key"]),
          body,
          correlationId: requestInfo(request).id,
        });
        return commandHttpResponse(request, result, `/v1/refunds/${(JSON.parse(result.body) as { id: string }).id}`);
      },
      {
        // The function does all the parsing; "json" only tells the OpenAPI generator the media type.
        parse: [parseJsonBody(deps.bodyLimitBytes), "json" as const],
        body: CreateRefundBody,
        headers: IdempotencyHeaders,
        response: { 201: RefundResource, ...errors, 404: ErrorResponse, 409: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse },
        detail: {
          tags,
          summary: "Create a refund",
          description:
            "Refunds an APPROVED payment, all that is left or `amount` of it, and answers 201 with the refund (status pending); " +
            "it is carried out asynchronously and ends succeeded or failed. Its amount is reserved at once: refunds of a payment, " +
            "pending ones included, never add up to more than was captured. 404 `resource_missing` (param payment_id); 409 " +
            "`payment_not_captured`, `charge_already_refunded`, `amount_too_large` (param amount). Requires an Idempotency-Key, " +
            "with the create's rules.",
        },
      },
    )
    .get("/:id", async ({ params, request }) => deps.service.get(merchantOf(request), params.id), {
      params: RefundIdParams,
      response: { 200: RefundResource, ...errors, 404: ErrorResponse },
      detail: { tags, summary: "Retrieve a refund" },
    })
    .get(
      "",
      async ({ query, request }) => {
        const page = await deps.service.list(merchantOf(request), {
          limit: query.limit === undefined ? 10 : Number(query.limit),
          ...(query.payment_id === undefined ? {} : { paymentId: query.payment_id }),
          ...(query.starting_after === undefined ? {} : { startingAfter: query.starting_after }),
        });
        return { object: "list" as const, data: page.data, has_more: page.hasMore };
      },
      {
        query: ListRefundsQuery,
        response: { 200: RefundList, ...errors },
        detail: {
          tags,
          summary: "List refunds",
          description: "Newest first, all of them or one payment's (`payment_id`). Pass the last id of a page as `starting_after` for the next.",
        },
      },
    );
}
