/**
 * API keys: `sk_` + 43 chars of base64url (256 random bits). With that much entropy a
 * fast unsalted sha256 is a safe verifier (nothing to brute-force), and it lets the
 * lookup be a primary-key hit. Only the hash and a short display prefix are stored.
 */
import { createHash, randomBytes } from "node:crypto";

export const newApiKey = (): string => `sk_${randomBytes(32).toString("base64url")}`;

export const hashApiKey = (key: string): Buffer => createHash("sha256").update(key, "utf8").digest();

/** Enough to recognise a key in a dashboard; far too little to use it. */
export const keyPrefix = (key: string): string => key.slice(0, 7);

export const newMerchantId = (): string => `mer_${Bun.randomUUIDv7().replaceAll("-", "")}`;
