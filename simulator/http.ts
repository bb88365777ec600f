/** Small HTTP helpers: Stripe-style JSON responses, authentication, and the abrupt reset. */
import { invalidApiKey, missingApiKey, type StripeHttpError } from "./errors.ts";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

export function errorResponse(e: StripeHttpError, headers: Record<string, string> = {}): Response {
  return json(e.status, { error: e.body }, { ...headers, ...e.headers });
}

/**
 * A connection reset: the socket closes before a single byte of the response. Bun.serve
 * gives no socket handle, but a body stream that errors before its first chunk makes Bun
 * drop the connection without writing the status line, so a client over HTTP sees
 * ECONNRESET ("socket hang up"/"other side closed"), exactly like a reset on the wire.
 * Called in-process (sim.fetch), reading the body rejects instead.
 */
export function connectionReset(): Response {
  const res = new Response(new ReadableStream({ start: (c) => c.error(undefined) }), { status: 200 });
  RESETS.add(res);
  return res;
}

const RESETS = new WeakSet<Response>();
/** For the request log: the 200 on a reset response is never sent. */
export const isReset = (res: Response): boolean => RESETS.has(res);

/**
 * Stripe accepts the secret key as a Bearer token or as the Basic-auth user name. Only test
 * keys are accepted; the simulator never moves real money. The key is never logged.
 */
export function checkApiKey(header: string | null): void {
  if (!header) throw missingApiKey();
  let key = "";
  if (/^Bearer\s+/i.test(header)) key = header.replace(/^Bearer\s+/i, "").trim();
  else if (/^Basic\s+/i.test(header)) key = basicUser(header.replace(/^Basic\s+/i, "").trim());
  if (key === "") throw missingApiKey();
  if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key)) throw invalidApiKey(key);
}

function basicUser(encoded: string): string {
  try {
    return (atob(encoded).split(":")[0] ?? "").trim();
  } catch {
    return "";
  }
}
