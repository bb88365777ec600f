/**
 * Adyen's error JSON (the Checkout API's ServiceError): `{ status, errorCode, message,
 * errorType, pspReference }` with the HTTP status repeated in `status`. The library turns a
 * non-2xx answer whose body has `status` into HttpClientException { statusCode: body.status,
 * errorCode, apiError: body }, so both the status and the code are part of the contract.
 *
 * Codes and messages from docs.adyen.com/development-resources/error-codes (the 422 101
 * example body, 000, 100, 101) and Adyen's own answers quoted in public issues (422 800
 * "Contract not found", 422 167 "Original pspReference required for this operation"); where
 * Adyen documents no code, the README marks the wording as the simulator's.
 */

export type ErrorType = "validation" | "security" | "internal" | "configuration";
export type ServiceError = { status: number; errorCode: string; message: string; errorType: ErrorType; pspReference?: string };

export class AdyenHttpError extends Error {
  readonly status: number;
  readonly body: ServiceError;
  readonly headers: Record<string, string>;
  constructor(body: ServiceError, headers: Record<string, string> = {}) {
    super(body.message);
    this.status = body.status;
    this.body = body;
    this.headers = headers;
  }
}

const error = (status: number, errorCode: string, message: string, errorType: ErrorType, headers?: Record<string, string>) =>
  new AdyenHttpError({ status, errorCode, message, errorType }, headers);

export const validation = (errorCode: string, message: string, status = 422): AdyenHttpError => error(status, errorCode, message, "validation");

/** 702: the body is not JSON, or names fields the request type does not have. */
export const unparsable = (message: string): AdyenHttpError => validation("702", message, 400);
export const unknownFields = (type: string, fields: string[]): AdyenHttpError =>
  validation("702", `Structure of ${type} contains the following unknown fields: [${fields.join(", ")}]`);
export const required = (field: string): AdyenHttpError => validation("100", `Required field '${field}' is not provided.`);
export const invalidField = (field: string, why: string): AdyenHttpError => validation("000", `Field '${field}' ${why}`);
export const invalidAmount = (): AdyenHttpError => validation("137", "Invalid amount specified");
export const invalidCardNumber = (): AdyenHttpError => validation("101", "Invalid card number");
/** A stored payment method (our token) the shopper does not have. */
export const contractNotFound = (): AdyenHttpError => validation("800", "Contract not found");
/** A modification naming a pspReference that is not a payment's. */
export const originalPspReferenceRequired = (): AdyenHttpError => validation("167", "Original pspReference required for this operation");

export const unauthorized = (): AdyenHttpError => error(401, "000", "HTTP Status Response - Unauthorized", "security");
export const invalidMerchantAccount = (): AdyenHttpError => error(403, "901", "Invalid Merchant Account", "security");
export const notFound = (path: string): AdyenHttpError => error(404, "000", `HTTP Status Response - Not Found: ${path}`, "validation");

/** Another request with this key is still running: nothing saved, safe to retry later (`Transient-Error`). */
export const keyInProgress = (): AdyenHttpError => error(422, "704", "request already processed or in progress", "validation", { "Transient-Error": "true" });
/** The key was first used for another request (simulator wording; Adyen documents no code for it). */
export const keyReused = (): AdyenHttpError =>
  validation("704", "request already processed or in progress: this Idempotency-Key was first used with a different request");
export const keyTooLong = (max: number): AdyenHttpError => validation("000", `Idempotency-Key must be at most ${max} characters`, 400);

export const internalError = (status: 500 | 503 = 500): AdyenHttpError =>
  error(status, "000", status === 500 ? "An unexpected error occurred" : "Service unavailable, please retry later", "internal");
export const tooManyRequests = (): AdyenHttpError => error(429, "000", "Too many requests, please retry later", "internal", { "Transient-Error": "true" });

export function errorJson(e: AdyenHttpError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(e.body), {
    status: e.status,
    headers: { "Content-Type": "application/json", ...headers, ...e.headers },
  });
}
