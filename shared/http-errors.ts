/**
 * Typed errors that carry their HTTP status. Code anywhere in a request path throws
 * one of these; a single handler turns it into `{ error: { type, code, message, param? } }`.
 *
 * `message` is shown to API clients verbatim, so it must never contain a submitted
 * value (a card number pasted into the wrong field would otherwise be echoed back).
 */

export type ErrorType = "invalid_request_error" | "authentication_error" | "idempotency_error" | "rate_limit_error" | "api_error";

export type ErrorBody = {
  error: { type: ErrorType; code: string; message: string; param?: string };
};

export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string;
  readonly param: string | undefined;

  constructor(status: number, type: ErrorType, code: string, message: string, param?: string) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }

  toBody(): ErrorBody {
    const error: ErrorBody["error"] = { type: this.type, code: this.code, message: this.message };
    if (this.param !== undefined) error.param = this.param;
    return { error };
  }
}

export const badRequest = (code: string, message: string, param?: string): ApiError => new ApiError(400, "invalid_request_error", code, message, param);

export const unauthorized = (message = "Missing or invalid API key. Send `Authorization: Bearer <key>`."): ApiError =>
  new ApiError(401, "authentication_error", "invalid_api_key", message);

export const notFound = (message: string, param?: string): ApiError => new ApiError(404, "invalid_request_error", "resource_missing", message, param);

export const idempotencyInFlight = (): ApiError =>
  new ApiError(409, "idempotency_error", "idempotency_key_in_use", "A request with this Idempotency-Key is still being processed. Retry after it completes.");

export const idempotencyMismatch = (): ApiError =>
  new ApiError(422, "idempotency_error", "idempotency_key_reused", "This Idempotency-Key was already used with a different request body.");

export const payloadTooLarge = (limitBytes: number): ApiError =>
  new ApiError(413, "invalid_request_error", "payload_too_large", `Request body exceeds ${limitBytes} bytes.`);

export const unsupportedMediaType = (): ApiError => new ApiError(415, "invalid_request_error", "unsupported_media_type", "Send the body as application/json.");

export const internalError = (): ApiError => new ApiError(500, "api_error", "internal_error", "An unexpected error occurred. It has been logged.");

export const serviceUnavailable = (message: string): ApiError => new ApiError(503, "api_error", "service_unavailable", message);

/** 429 with the seconds a client should wait; the one error handler sends them as `Retry-After`. */
export class RateLimitError extends ApiError {
  override name = "RateLimitError";
  readonly retryAfterSeconds: number;

  constructor(code: string, message: string, retryAfterSeconds: number) {
    super(429, "rate_limit_error", code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const rateLimited = (code: string, message: string, retryAfterSeconds: number): RateLimitError => new RateLimitError(code, message, retryAfterSeconds);
