/**
 * The one place an error becomes an HTTP response: `{ error: { type, code, message, param? } }`.
 * Validation errors name the offending field but never echo its value; anything we did not
 * throw on purpose is a 500 whose details go to the log, not to the client.
 */
import { ValueErrorType, type ValueError } from "@sinclair/typebox/errors";
import { isDatabaseUnavailable } from "../../shared/db/client.ts";
import { ApiError, badRequest, internalError, notFound, serviceUnavailable } from "../../shared/http-errors.ts";
import type { Logger } from "../observability/logger.ts";

type ElysiaValidationError = Error & { type?: string; valueError?: ValueError };

/** A JSON Pointer segment as the client wrote the name (RFC 6901: `~1` is `/`, `~0` is `~`). */
const unescapePointer = (segment: string) => segment.replaceAll("~1", "/").replaceAll("~0", "~");

/** `/customer/email` -> `customer.email`; header names keep their usual spelling. */
function paramOf(where: string | undefined, v: ValueError): string {
  const segments = v.path.split("/").filter(Boolean).map(unescapePointer);
  if (where === "headers") return segments.length ? headerName(segments[0]!) : "headers";
  return segments.length ? segments.join(".") : where === "query" ? "query" : "(body)";
}

const headerName = (h: string) => h.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());

function fromValidation(err: ElysiaValidationError): ApiError {
  const v = err.valueError;
  if (!v) return badRequest("parameter_invalid", "The request is invalid.");
  const param = paramOf(err.type, v);
  switch (v.type) {
    case ValueErrorType.ObjectRequiredProperty:
      if (err.type === "headers") return badRequest("header_missing", `The ${param} header is required.`, param);
      return badRequest("parameter_missing", `Missing required field: ${param}.`, param);
    case ValueErrorType.ObjectAdditionalProperties:
      return badRequest("parameter_unknown", `Unknown field: ${param}.`, param);
    default: {
      const custom = (v.schema as { error?: unknown }).error;
      const detail = typeof custom === "string" ? custom : v.message.replace(/^Expected/, "expected");
      return badRequest("parameter_invalid", `Invalid ${param}: ${detail}.`, param);
    }
  }
}

export function toApiError(code: string | number, error: unknown, log: Logger): ApiError {
  if (error instanceof ApiError) return error;
  // Elysia wraps anything thrown by a body parser in a ParseError; ours throws ApiErrors (413, 415, card data).
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (code === "PARSE" && cause instanceof ApiError) return cause;
  switch (code) {
    case "VALIDATION":
      return fromValidation(error as ElysiaValidationError);
    case "PARSE":
      return badRequest("invalid_json", "Request body is not valid JSON.");
    case "NOT_FOUND":
      return notFound("Unrecognized request URL.");
  }
  // The database down or restarting is not a bug: 503, and the client may retry (Retry-After).
  if (isDatabaseUnavailable(error)) {
    log.warn({ err: { type: (error as Error).name, code: (error as { code?: unknown }).code } }, "database unavailable");
    return serviceUnavailable("The service is briefly unavailable; retry the request.");
  }
  // Log the class and stack only: messages from drivers can quote query parameters.
  const e = error instanceof Error ? error : new Error(String(error));
  log.error({ err: { type: e.name, stack: e.stack, code: (e as { code?: unknown }).code } }, "unhandled error");
  return internalError();
}
