/**
 * /v1/payments controller: turns HTTP into service calls and back. Authentication has
 * already run (app-level onRequest hook) by the time any of these handlers is reached.
 */
import { Elysia } from "elysia";
import { badRequest } from "../../shared/http-errors.ts";
import { parseJsonBody } from "../http/json-body.ts";
import { merchantOf, requestInfo } from "../http/request-context.ts";
import { containsCardNumber } from "./card-scan.ts";
import {
  CreatePaymentBody,
  ErrorResponse,
  IdempotencyHeaders,
  ListPaymentsQuery,
  PaymentIdParams,
  PaymentList,
  PaymentResource,
} from "./model.ts";
import type { PaymentsService } from "./service.ts";

/** Printable ASCII only (IETF draft: the key is an sf-string). */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** Error responses every route documents (one error shape); 429 is the per-key or failed-authentication limit. */
const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse } as const;

export function paymentsRoutes(deps: { service: PaymentsService; bodyLimitBytes: number }) {
  return new Elysia({ name: "payments", prefix: "/v1/payments", normalize: false })
    .post(
      "",
      async ({ body, headers, request }) => {
        const key = headers["idempotency-key"];
        if (!IDEMPOTENCY_KEY.test(key)) {
          throw badRequest("idempotency_key_invalid", "Idempotency-Key must be 1-255 printable ASCII characters.", "Idempotency-Key");
        }
        if (containsCardNumber(key)) {
          throw badRequest("card_data_not_allowed", "Card numbers are not accepted anywhere, including headers.", "Idempotency-Key");
        }
        const result = await deps.service.create({
          merchantId: merchantOf(request),
          idempotencyKey: key,
          body,
          correlationId: requestInfo(request).id,
        });
        const responseHeaders: Record<string, string> = {
          "content-type": "application/json",
          location: `/v1/payments/${result.paymentId}`,
          "x-request-id": requestInfo(request).id,
        };
        if (result.replayed) responseHeaders["idempotent-replayed"] = "true";
        return new Response(result.body, { status: result.status, headers: responseHeaders });
      },
      {
        // The function does all the parsing; "json" is never reached and only tells the
        // OpenAPI generator the media type (it ignores function parsers).
        parse: [parseJsonBody(deps.bodyLimitBytes), "json"],
        body: CreatePaymentBody,
        headers: IdempotencyHeaders,
        response: { 201: PaymentResource, ...errors, 409: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse },
        detail: {
          summary: "Create a payment",
          description:
            "Creates a PENDING payment; it is charged asynchronously. Requires an Idempotency-Key: " +
            "a retry with the same key and body returns the original response with `Idempotent-Replayed: true`.",
        },
      },
    )
    .get(
      "/:id",
      async ({ params, request }) => deps.service.get(merchantOf(request), params.id),
      {
        params: PaymentIdParams,
        response: { 200: PaymentResource, ...errors },
        detail: { summary: "Retrieve a payment" },
      },
    )
    .get(
      "",
      async ({ query, request }) => {
        const page = await deps.service.list(merchantOf(request), {
          limit: query.limit === undefined ? 10 : Number(query.limit),
          startingAfter: query.starting_after,
          status: query.status,
        });
        return { object: "list" as const, data: page.data, has_more: page.hasMore };
      },
      {
        query: ListPaymentsQuery,
        response: { 200: PaymentList, ...errors },
        detail: {
          summary: "List payments",
          description: "Newest first. Pass the last id of a page as `starting_after` to get the next one.",
        },
      },
    );
}
