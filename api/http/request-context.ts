/**
 * Per-request bookkeeping kept outside Elysia's context: correlation id, start time and,
 * once authenticated, the merchant. Keyed by the Request object, so it needs no cleanup.
 */
import { containsCardNumber } from "../payments/card-scan.ts";

export type RequestInfo = { id: string; startedAt: number; merchantId?: string };

const infos = new WeakMap<Request, RequestInfo>();

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Accepts the caller's X-Request-Id when it is short and plain (it ends up in logs and in
 * Kafka headers), otherwise generates one.
 */
export function correlationIdFrom(header: string | null): string {
  return header && SAFE_ID.test(header) && !containsCardNumber(header) ? header : crypto.randomUUID();
}

export function beginRequest(request: Request): RequestInfo {
  const info: RequestInfo = { id: correlationIdFrom(request.headers.get("x-request-id")), startedAt: performance.now() };
  infos.set(request, info);
  return info;
}

export function requestInfo(request: Request): RequestInfo {
  return infos.get(request) ?? beginRequest(request);
}

/** The authenticated merchant; only reachable on routes behind the auth hook. */
export function merchantOf(request: Request): string {
  const id = infos.get(request)?.merchantId;
  if (!id) throw new Error("merchantOf() called on a route without authentication");
  return id;
}
