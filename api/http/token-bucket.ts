/**
 * Token buckets by key, in this process only (each API instance limits on its own). A
 * bucket holds up to `burst` tokens and refills at `perSecond`; a missing bucket is a full
 * one, so memory holds only keys that spent tokens recently, and at most `maxKeys` of them.
 */
export type Admission = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export type TokenBuckets = {
  /** Spends a token of `key` if it has one. */
  take(key: string): Admission;
  /** Whether `key` has a token, without spending it. */
  peek(key: string): Admission;
  readonly size: number;
};

type Bucket = { tokens: number; at: number };

export function createTokenBuckets(opts: { perSecond: number; burst: number; now?: () => number; maxKeys?: number }): TokenBuckets {
  const now = opts.now ?? performance.now.bind(performance);
  const maxKeys = opts.maxKeys ?? 100_000;
  const perMs = opts.perSecond / 1000;
  const buckets = new Map<string, Bucket>();

  const level = (b: Bucket | undefined, t: number) => (b === undefined ? opts.burst : Math.min(opts.burst, b.tokens + (t - b.at) * perMs));
  const wait = (tokens: number): Admission => ({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / opts.perSecond)) });

  /** Full buckets are the same as absent ones; if that frees too little, the oldest go. */
  function makeRoom(t: number) {
    for (const [k, b] of buckets) if (level(b, t) >= opts.burst) buckets.delete(k);
    if (buckets.size < maxKeys * 0.9) return;
    let drop = Math.ceil(maxKeys * 0.1);
    for (const k of buckets.keys()) {
      if (drop-- <= 0) break;
      buckets.delete(k);
    }
  }

  return {
    take(key) {
      const t = now();
      const b = buckets.get(key);
      const tokens = level(b, t);
      if (tokens < 1) return wait(tokens);
      if (b === undefined && buckets.size >= maxKeys) makeRoom(t);
      // Re-inserted so that Map order is least recently used first, for makeRoom.
      buckets.delete(key);
      buckets.set(key, { tokens: tokens - 1, at: t });
      return { allowed: true };
    },
    peek(key) {
      const tokens = level(buckets.get(key), now());
      return tokens < 1 ? wait(tokens) : { allowed: true };
    },
    get size() {
      return buckets.size;
    },
  };
}
