/**
 * Seeded randomness. With SIM_SEED set, the same sequence of requests meets the same
 * faults, latencies and ids, so a failing run can be replayed.
 */

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough for test traffic (not for secrets). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Numeric seeds are used as they are; any other text is hashed (FNV-1a). */
export function seedFrom(text: string | undefined): number {
  if (text === undefined || text === "") return (Math.random() * 2 ** 32) >>> 0;
  if (/^\d+$/.test(text)) return Number(text) >>> 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Stripe-looking ids: `pi_3` + 24 base62 characters, like `pi_3MtwBwLkdIwHu7ix28a3tqPa`. */
export function makeIds(rng: Rng): (prefix: string) => string {
  return (prefix) => {
    let s = "";
    for (let i = 0; i < 24; i++) s += ALPHABET[Math.floor(rng() * ALPHABET.length)];
    return `${prefix}_3${s}`;
  };
}

/** Standard normal from two uniforms (Box–Muller). */
export function gaussian(rng: Rng): number {
  const u = Math.max(rng(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
