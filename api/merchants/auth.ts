/**
 * Bearer-key authentication. A verified key is cached for a short time so the hot path
 * (every request) does not cost a Postgres round trip; the price is that revoking a key
 * takes up to `cacheMs` to bite. Unknown keys are never cached, so a new key works at once.
 */
import type { Sql } from "../../shared/db/client.ts";
import { unauthorized } from "../../shared/http-errors.ts";
import { merchantIdForKey } from "./repo.ts";

export type Authenticator = (authorization: string | null) => Promise<string>;

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,200})$/;
const MAX_CACHED = 10_000;

export function createAuthenticator(deps: { sql: Sql; cacheMs: number; now?: () => number }): Authenticator {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { merchantId: string; until: number }>();
  return async (authorization) => {
    const key = authorization ? BEARER.exec(authorization)?.[1] : undefined;
    if (!key) throw unauthorized();
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.merchantId;
    const merchantId = await merchantIdForKey(deps.sql, key);
    if (!merchantId) throw unauthorized();
    if (deps.cacheMs > 0) {
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, { merchantId, until: now() + deps.cacheMs });
    }
    return merchantId;
  };
}
