/**
 * Stripe's error JSON and the HTTP status each kind carries. Bodies follow Stripe's API
 * reference (docs.stripe.com/api/errors): `{ error: { type, code?, decline_code?, message,
 * param?, doc_url?, payment_intent?, … } }`. The SDK picks its error class from the status
 * (402 → StripeCardError, 400 + idempotency_error → StripeIdempotencyError, 429 →
 * StripeRateLimitError, 5xx/409 → StripeAPIError), so the status is part of the contract.
 */

export type ErrorBody = {
  type: "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";
  message: string;
  code?: string;
  decline_code?: string;
  advice_code?: string;
  param?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
};

export class StripeHttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  /** Extra response headers, e.g. Stripe-Should-Retry. */
  readonly headers: Record<string, string>;
  constructor(status: number, body: ErrorBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replaceAll("_", "-")}`;
}

export function invalidRequest(message: string, code?: string, param?: string, status = 400): StripeHttpError {
  const body: ErrorBody = { type: "invalid_request_error", message };
  if (code) Object.assign(body, { code, doc_url: docUrl(code) });
  if (param) body.param = param;
  return new StripeHttpError(status, body);
}

export const missingApiKey = (): StripeHttpError =>
  invalidRequest(
    "You did not provide an API key. You need to provide your API key in the Authorization header, " +
      "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.",
    undefined,
    undefined,
    401,
  );

/** The key is masked the way Stripe masks it: never echo a secret back. */
export const invalidApiKey = (key: string): StripeHttpError =>
  invalidRequest(`Invalid API Key provided: ${key.slice(0, 8)}${"*".repeat(12)}${key.slice(-4)}`, undefined, undefined, 401);

/** Fault `401`: the key was rolled or expired while requests were in flight. */
export const expiredApiKey = (): StripeHttpError =>
  invalidRequest("Expired API Key provided: sk_test_************. Create a new key or roll the key.", "api_key_expired", undefined, 401);

export const resourceMissing = (what: string, id: string, param: string, status = 404): StripeHttpError =>
  invalidRequest(`No such ${what}: '${id}'`, "resource_missing", param, status);

export const unrecognizedUrl = (method: string, path: string): StripeHttpError =>
  invalidRequest(`Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs.`, undefined, undefined, 404);

export const idempotencyMismatch = (key: string): StripeHttpError =>
  new StripeHttpError(400, {
    type: "idempotency_error",
    message:
      "Keys for idempotent requests can only be used with the same parameters they were first used with. " +
      `Try using a key other than '${key}' if you meant to execute a different request.`,
  });

/** 409 while the first request with this key is still executing; nothing is saved for it. */
export const idempotencyKeyInUse = (key: string): StripeHttpError =>
  invalidRequest(
    "There is currently another in-progress request using this Idempotent Key (that probably means you " +
      `submitted twice, and the other request is still going through): ${key}. Please try again later.`,
    "idempotency_key_in_use",
    undefined,
    409,
  );

export const rateLimited = (): StripeHttpError =>
  invalidRequest("Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.", "rate_limit", undefined, 429);

/** Another request holds the object's lock; Stripe asks the client to retry. */
export const lockTimeout = (): StripeHttpError => {
  const e = invalidRequest(
    "This object cannot be accessed right now because another API request or Stripe process is currently accessing it. " +
      "If you see this error intermittently, retry the request.",
    "lock_timeout",
    undefined,
    429,
  );
  e.headers["Stripe-Should-Retry"] = "true";
  return e;
};

export const apiError = (status: 500 | 502 | 503 | 504): StripeHttpError =>
  new StripeHttpError(status, {
    type: "api_error",
    message: status === 500 ? "An unknown error occurred" : "Stripe is temporarily unavailable. Please try again later.",
  });
