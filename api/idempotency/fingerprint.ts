/**
 * What "the same request" means for Idempotency-Key reuse: the same endpoint and the
 * same validated body, compared as canonical JSON (keys sorted), so a client that
 * re-serialises the body with different whitespace or key order is not told it changed.
 */
import { createHash } from "node:crypto";

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function requestFingerprint(endpoint: string, body: unknown): string {
  return createHash("sha256").update(endpoint).update("\n").update(canonical(body)).digest("hex");
}

/**
 * The advisory-lock id for (merchant, key): 64 bits of sha256, as a signed bigint string.
 * A collision between two different keys costs at worst a spurious, retryable 409;
 * correctness rests on the idempotency table's primary key, not on this lock.
 */
export function idempotencyLockId(merchantId: string, key: string): string {
  const digest = createHash("sha256").update(merchantId).update("\0").update(key).digest();
  return digest.readBigInt64BE(0).toString();
}
