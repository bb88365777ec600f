/**
 * The public API as a merchant reaches it on the local stack: HTTPS through Caddy, the
 * certificate verified against Caddy's local root CA (never switched off), with the dev
 * merchant's key. Tests, the chaos load and the benchmarks create payments through this.
 */
import { readFileSync } from "node:fs";
import { loadStackEnv } from "../../shared/config.ts";
import { caddyRootCa } from "./components/caddy.ts";
import { DEV_MERCHANT_KEY } from "./components/index.ts";

const env = loadStackEnv();

/** Path of the root certificate that signs the public HTTPS endpoint. */
export const caddyCaPath = process.env.CADDY_ROOT_CA ?? caddyRootCa();

let ca: string | undefined; // read on first use: importing this must not need a running stack

/** fetch() of PUBLIC_URL + `path`, verified against the stack's CA. */
export function publicFetch(path: string, init: RequestInit = {}): Promise<Response> {
  ca ??= readFileSync(caddyCaPath, "utf8");
  return fetch(`${env.PUBLIC_URL}${path}`, { ...init, tls: { ca } } as RequestInit);
}

/**
 * POST /v1/payments as the dev merchant (or the merchant whose `apiKey` is given). A fresh Idempotency-Key unless one is given (a
 * client retrying the same payment passes the same key). Rejects on network errors only.
 */
export function postPayment(body: unknown, opts: { idempotencyKey?: string; signal?: AbortSignal; apiKey?: string } = {}): Promise<Response> {
  return publicFetch("/v1/payments", {
    method: "POST",
    headers: {
      authorization: `Bearer ${opts.apiKey ?? DEV_MERCHANT_KEY}`,
      "idempotency-key": opts.idempotencyKey ?? crypto.randomUUID(),
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
    signal: opts.signal,
  });
}
