/**
 * Webhook signatures, Stripe's scheme: `Payorch-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`
 * where each v1 is HMAC-SHA256, keyed with one of the endpoint's valid secrets (the whole
 * `whsec_…` string as UTF-8), of `<t>.<raw body>`. While a rotated-out secret is still
 * valid both signatures are sent, so a receiver verifying with either secret succeeds.
 *
 * `verifyWebhookSignature` is what a merchant runs (docs/webhooks.md shows it with a test
 * vector); the project's own tests and the chaos receiver use it too. Runs on Bun and Node.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Header names that do not move: merchants' code reads them. */
export const SIGNATURE_HEADER = "Payorch-Signature";
export const EVENT_ID_HEADER = "Payorch-Event-Id";

/** A signature older (or further in the future) than this is refused: limits replays. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** `whsec_` + 32 random bytes, base64url (43 characters). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64url")}`;

export const WEBHOOK_SECRET_PATTERN = "^whsec_[A-Za-z0-9_-]{16,128}$";

const hmacHex = (secret: string, timestamp: number, body: string | Uint8Array): string =>
  createHmac("sha256", Buffer.from(secret, "utf8"))
    .update(`${timestamp}.`, "utf8")
    .update(typeof body === "string" ? Buffer.from(body, "utf8") : body)
    .digest("hex");

/** The header value for `body` sent at `timestamp` (Unix seconds): one v1 per secret, in the order given. */
export function signatureHeader(body: string | Uint8Array, secrets: readonly string[], timestamp: number): string {
  if (secrets.length === 0) throw new Error("signing needs at least one secret");
  if (!Number.isInteger(timestamp) || timestamp < 0) throw new Error("timestamp must be whole Unix seconds");
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${hmacHex(s, timestamp, body)}`)].join(",");
}

export type VerifyFailure = "missing_header" | "malformed_header" | "timestamp_out_of_tolerance" | "no_matching_signature";
export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: VerifyFailure };

export type VerifyOptions = {
  /** Seconds the signature's timestamp may differ from now; 300 by default. */
  toleranceSeconds?: number;
  /** Current time in Unix seconds (tests); the clock by default. */
  nowSeconds?: number;
};

/**
 * Checks a delivery: `body` must be the raw request body exactly as received (parse the
 * JSON only afterwards), `header` the Payorch-Signature value. `secret` may list several
 * (a receiver in the middle of its own rotation). Constant-time comparison.
 */
export function verifyWebhookSignature(
  body: string | Uint8Array,
  header: string | null | undefined,
  secret: string | readonly string[],
  opts: VerifyOptions = {},
): VerifyResult {
  if (!header) return { ok: false, reason: "missing_header" };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) return { ok: false, reason: "malformed_header" };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return { ok: false, reason: "malformed_header" };
      timestamp = Number(value);
    } else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) {
      signatures.push(Buffer.from(value, "hex"));
    }
    // Other schemes (a future v2) are ignored, as a receiver should.
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: "malformed_header" };
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: "timestamp_out_of_tolerance" };
  const secrets = typeof secret === "string" ? [secret] : secret;
  for (const s of secrets) {
    const expected = Buffer.from(hmacHex(s, timestamp, body), "hex");
    if (signatures.some((sig) => timingSafeEqual(sig, expected))) return { ok: true, timestamp };
  }
  return { ok: false, reason: "no_matching_signature" };
}
