/**
 * The API's two rate limits, both token buckets kept per instance (api/http/token-bucket.ts):
 *  - per merchant API key, on every authenticated request;
 *  - per client address, on failed authentication. An address over it gets 429 for /v1 and
 *    /ops before its key is looked at, so guessing keys costs no database query (an unknown
 *    key is a primary query each: unknown keys are never cached).
 * Both answer 429 with Retry-After in the error shape (shared/http-errors.ts RateLimitError).
 */
import { rateLimited } from "../../shared/http-errors.ts";
import type { ApiConfig } from "../config.ts";
import { createClientAddress } from "./client-address.ts";
import { createTokenBuckets } from "./token-bucket.ts";

export type RateLimitConfig = Pick<ApiConfig, "merchantRatePerSecond" | "merchantRateBurst" | "authFailuresPerMinute" | "authFailureBurst" | "trustedProxies">;

export type LimitName = "merchant_key" | "auth_failures";

export type RateLimits = {
  /** Throws 429 when the request's client address is over its failed-authentication limit. */
  admitClient(request: Request): void;
  /** Counts a failed authentication against the request's client address. */
  authFailed(request: Request): void;
  /** Throws 429 when the (verified) API key has no token left; spends one otherwise. */
  admitKey(apiKey: string): void;
};

const seconds = (n: number) => `${n} second${n === 1 ? "" : "s"}`;

export function createRateLimits(cfg: RateLimitConfig, opts: { now?: () => number; onLimited?: (limit: LimitName) => void } = {}): RateLimits {
  const keys = createTokenBuckets({ perSecond: cfg.merchantRatePerSecond, burst: cfg.merchantRateBurst, now: opts.now });
  const failures = createTokenBuckets({ perSecond: cfg.authFailuresPerMinute / 60, burst: cfg.authFailureBurst, now: opts.now });
  const clientOf = createClientAddress(cfg.trustedProxies);
  return {
    admitClient(request) {
      const a = failures.peek(clientOf(request));
      if (a.allowed) return;
      opts.onLimited?.("auth_failures");
      throw rateLimited(
        "too_many_failed_authentications",
        `Too many failed authentication attempts from this address. Retry after ${seconds(a.retryAfterSeconds)}.`,
        a.retryAfterSeconds,
      );
    },
    authFailed(request) {
      failures.take(clientOf(request));
    },
    admitKey(apiKey) {
      const a = keys.take(apiKey);
      if (a.allowed) return;
      opts.onLimited?.("merchant_key");
      throw rateLimited("rate_limit_exceeded", `Too many requests with this API key. Retry after ${seconds(a.retryAfterSeconds)}.`, a.retryAfterSeconds);
    },
  };
}
