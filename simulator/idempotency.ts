/**
 * Stripe's v1 idempotency layer (docs.stripe.com/api/idempotent_requests):
 * - the first request's status and body are saved once the endpoint starts executing,
 *   whatever they are (a 402 decline is replayed as a 402);
 * - the same key with the same endpoint and parameters replays them, marked
 *   `Idempotent-Replayed: true`;
 * - the same key with other parameters or another endpoint is a 400 idempotency_error;
 * - while the first request still executes, another with its key gets 409
 *   idempotency_key_in_use and nothing is saved for it;
 * - requests refused before execution (auth, validation, rate limiting) save nothing;
 * - keys are pruned once at least 24 hours old.
 */

export type SavedResponse = { status: number; body: string; requestId: string };

export type Begin = { kind: "new" } | { kind: "replay"; saved: SavedResponse } | { kind: "mismatch" } | { kind: "in_use" };

type Entry = { fingerprint: string; saved: SavedResponse; savedAt: number };

export const KEY_TTL_MS = 24 * 60 * 60 * 1000;
export const MAX_KEY_LENGTH = 255;

export class IdempotencyStore {
  readonly #saved = new Map<string, Entry>();
  readonly #executing = new Map<string, string>();
  readonly #ttlMs: number;

  /** `ttlMs`: how long a saved answer is kept (Stripe 24 h; the Adyen mode passes its own). */
  constructor(ttlMs = KEY_TTL_MS) {
    this.#ttlMs = ttlMs;
  }

  /** Claims the key for execution, or says why the request must not execute. */
  begin(key: string, fingerprint: string, now: number): Begin {
    const entry = this.#saved.get(key);
    if (entry && now - entry.savedAt >= this.#ttlMs) this.#saved.delete(key);
    else if (entry) return entry.fingerprint === fingerprint ? { kind: "replay", saved: entry.saved } : { kind: "mismatch" };
    if (this.#executing.has(key)) return { kind: "in_use" };
    this.#executing.set(key, fingerprint);
    return { kind: "new" };
  }

  save(key: string, saved: SavedResponse, now: number): void {
    const fingerprint = this.#executing.get(key);
    if (fingerprint === undefined) return;
    this.#saved.set(key, { fingerprint, saved, savedAt: now });
    this.#executing.delete(key);
  }

  /** The request ended without a result worth saving (refused before execution). */
  release(key: string): void {
    this.#executing.delete(key);
  }

  get size(): number {
    return this.#saved.size;
  }

  clear(): void {
    this.#saved.clear();
    this.#executing.clear();
  }
}
