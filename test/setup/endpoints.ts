/**
 * The one place tests read endpoints from: the stack configuration shared with
 * the services, plus what only tests need (the CA to verify Caddy with).
 */
import { readFileSync } from "node:fs";
import { loadStackEnv } from "../../shared/config.ts";
import { caddyRootCa } from "../../infra/stack/components/caddy.ts";

export const endpoints = loadStackEnv();

/** Path of the root certificate that signs the public HTTPS endpoint. */
export const caddyCaPath = process.env.CADDY_ROOT_CA ?? caddyRootCa();

/** fetch() through Caddy with certificate verification against its local CA (never disabled). */
export function publicFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${endpoints.PUBLIC_URL}${path}`, { ...init, tls: { ca: readFileSync(caddyCaPath, "utf8") } } as RequestInit);
}
