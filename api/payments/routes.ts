/**
 * /v1/payments controller: turns HTTP into service calls and back. Authentication has
 * already run (app-level onRequest hook) by the time any of these handlers is reached.
 */
import { Elysia } from "elysia";
import { parseJsonBody } from "../http/json-body.ts";
import { merchantOf, requestInfo } from "../http/request-context.ts";
import { commandHttpResponse } from "../idempotency/command.ts";
import { checkIdempotencyKey } from "../idempotency/key.ts";
import {
  CancelBody,
  CaptureBody,
  CreatePaymentBody,
  ErrorResponse,
  IdempotencyHeaders,
  ListPaymentsQuery,
  PaymentIdParams,
  PaymentList,
  PaymentResource,
} from "./model.ts";
import type { PaymentsService } from "./service.ts";

/** Error responses every route documents (one error shape); 429 is the per-key or failed-authentication limit. */
const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse } as const;
/** ...and every POST: 409 key in use (or the state forbids the command), 413/415 the body, 422 key reused. */
const postErrors = { ...errors, 409: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse } as const;

export function paymentsRoutes(deps: { service: PaymentsService; bodyLimitBytes: number }) {
  // Capture and cancel may come without a body; "json" only tells the OpenAPI generator the media type.
  const emptyOrJson = [parseJsonBody(deps.bodyLimitBytes, { allowEmpty: true }), "json" as const];
  return new Elysia({ name: "payments", prefix: "/v1/payments", normalize: false })
    .post(
      "",
      async ({ body, headers, request }) => {
        const key = checkIdempotencyKey(headers["idempotency-key"]);
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
        response: { 201: PaymentResource, ...postErrors },
        detail: {
          summary: "Create a payment",
          description:
            "Creates a PENDING payment; it is charged asynchronously. Requires an Idempotency-Key: " +
            "a retry with the same key and body returns the original response with `Idempotent-Replayed: true`. " +
            "With `capture_method: manual` the payment is only authorized (status AUTHORIZED): capture it with " +
            "POST /v1/payments/{id}/capture or void it with …/cancel before `capture_before`, when it is voided automatically.",
        },
      },
    )
    .post(
      "/:id/capture",
      async ({ params, body, headers, request }) =>
        commandHttpResponse(
          request,
          await deps.service.capture({
            merchantId: merchantOf(request),
            paymentId: params.id,
            idempotencyKey: checkIdempotencyKey(headers["idempotency-key"]),
            body,
            correlationId: requestInfo(request).id,
          }),
        ),
      {
        parse: emptyOrJson,
        params: PaymentIdParams,
        body: CaptureBody,
        headers: IdempotencyHeaders,
        response: { 202: PaymentResource, ...postErrors },
        detail: {
          summary: "Capture a payment",
          description:
            "Takes the money of an AUTHORIZED payment created with `capture_method: manual`: all of it, or `amount` " +
            "(at most the amount authorized; the rest is released). Accepted at once (202, `pending_command` shows it) and carried " +
            "out asynchronously; the payment then becomes APPROVED with `amount_captured`. The body may be empty. " +
            "409 codes: `payment_not_manual`, `payment_not_authorized` (still PENDING), `payment_already_captured`, `payment_canceled`, " +
            "`payment_denied`, `command_in_progress` (a capture or cancel already accepted); 400 `amount_too_large` (param amount). " +
            "Requires an Idempotency-Key, with the create's rules.",
        },
      },
    )
    .post(
      "/:id/cancel",
      async ({ params, body, headers, request }) =>
        commandHttpResponse(
          request,
          await deps.service.cancel({
            merchantId: merchantOf(request),
            paymentId: params.id,
            idempotencyKey: checkIdempotencyKey(headers["idempotency-key"]),
            body,
            correlationId: requestInfo(request).id,
          }),
        ),
      {
        parse: emptyOrJson,
        params: PaymentIdParams,
        body: CancelBody,
        headers: IdempotencyHeaders,
        response: { 202: PaymentResource, ...postErrors },
        detail: {
          summary: "Cancel a payment",
          description:
            "Voids the authorization of an AUTHORIZED payment created with `capture_method: manual`; it becomes CANCELED. " +
            "Accepted at once (202, `pending_command` shows it) and carried out asynchronously. The body may be empty or `{}`. " +
            "409 codes as for a capture. Requires an Idempotency-Key, with the create's rules.",
        },
      },
    )
    .get("/:id", async ({ params, request }) => deps.service.get(merchantOf(request), params.id), {
      params: PaymentIdParams,
      response: { 200: PaymentResource, ...errors },
      detail: { summary: "Retrieve a payment" },
    })
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
