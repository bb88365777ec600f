/**
 * Operator authentication for /ops/*: one shared operator key (OPS_API_KEY), separate from
 * merchant keys. Compared in constant time (both sides hashed first, so lengths never leak).
 * No key configured = the operator endpoints are closed.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const BEARER = /^Bearer (\S{1,500})$/;
const digest = (s: string) => createHash("sha256").update(s).digest();

export function createOpsAuthenticator(opsApiKey: string | undefined): (authorization: string | null) => boolean {
  const expected = opsApiKey ? digest(opsApiKey) : null;
  return (authorization) => {
    const given = authorization ? BEARER.exec(authorization)?.[1] : undefined;
    if (expected === null || given === undefined) return false;
    return timingSafeEqual(digest(given), expected);
  };
}
