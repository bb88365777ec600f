/**
 * Fault injection. A fault can hit BEFORE the endpoint runs (nothing charged, nothing saved
 * for the idempotency key) or AFTER it (the charge happened and its result is saved, but
 * the client sees an error, a reset or a hang). The after case is the one that makes a
 * naive client charge twice; a retry with the same key must replay the saved result.
 */
import { gaussian, type Rng } from "./rng.ts";

export const FAULT_KINDS = ["500", "503", "429", "lock_timeout", "401", "reset", "hang"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/**
 * `stored` (scripted or by rule only): the endpoint fails inside before charging and its 500
 * is saved under the idempotency key, as Stripe saves a 500 once the endpoint began. Every
 * retry with that key replays the 500; only a new key can ever charge.
 */
export type Phase = "before" | "after" | "stored";
export type PhaseSetting = "before" | "after" | "mixed";
export type Fault = { kind: FaultKind; phase: Phase };

/**
 * A fault for the requests of matching payments: `match` is compared with the metadata of
 * the request's PaymentIntent (`payment_id`, `merchant_id`, …). With `times`, the rule hits
 * only the first `times` requests of each payment, so rules can be chained in order.
 */
export type FaultRule = { match: Record<string, string>; kind: FaultKind; phase?: Phase; times?: number };

export type Latency = { meanMs: number; jitterMs: number; p99Ms: number | null };
/** 503 and reset answer each request so; refuse closes the port (listener.ts). */
export type Outage = { untilMs: number; mode: "503" | "reset" | "refuse" };

export type FaultConfig = {
  latency: Latency;
  rates: Partial<Record<FaultKind, number>>;
  phase: PhaseSetting;
  /** How long a hang holds the response; null never answers. */
  hangMs: number | null;
  outage: Outage | null;
  /** Scripted faults, consumed one per API request before the random rates apply. */
  next: Array<{ kind: FaultKind; phase?: Phase }>;
  /** Per-payment faults; the first matching rule wins over `next` and the random rates. */
  rules: FaultRule[];
};

export const DEFAULT_HANG_MS = 90_000;

export function emptyConfig(): FaultConfig {
  return {
    latency: { meanMs: 0, jitterMs: 0, p99Ms: null },
    rates: {},
    phase: "mixed",
    hangMs: DEFAULT_HANG_MS,
    outage: null,
    next: [],
    rules: [],
  };
}

/** The rate limiter, lock manager and authentication run before Stripe's idempotency layer: never "after". */
const BEFORE_ONLY: ReadonlySet<FaultKind> = new Set(["429", "lock_timeout", "401"]);

/** Requests already hit per rule and payment (for `times`). Reset with the rules. */
export type RuleHits = WeakMap<FaultRule, Map<string, number>>;

function ruleFault(cfg: FaultConfig, hits: RuleHits, metadata: Record<string, string> | null): { kind: FaultKind; phase?: Phase } | undefined {
  if (metadata === null || cfg.rules.length === 0) return undefined;
  const payment = metadata.payment_id ?? "";
  for (const rule of cfg.rules) {
    if (!Object.entries(rule.match).every(([k, v]) => metadata[k] === v)) continue;
    const seen = hits.get(rule) ?? new Map<string, number>();
    hits.set(rule, seen);
    const n = seen.get(payment) ?? 0;
    if (rule.times !== undefined && n >= rule.times) continue;
    seen.set(payment, n + 1);
    return rule;
  }
  return undefined;
}

/**
 * `canBeAfter`: the request reaches an endpoint that executes (a POST); GETs only ever meet
 * before-phase faults (an after-phase fault on a read is the same as losing the answer).
 */
export function decideFault(cfg: FaultConfig, rng: Rng, canBeAfter: boolean, hits?: RuleHits, metadata: Record<string, string> | null = null): Fault | null {
  const scripted = (hits ? ruleFault(cfg, hits, metadata) : undefined) ?? cfg.next.shift();
  let kind: FaultKind | undefined = scripted?.kind;
  if (!kind) {
    let r = rng();
    for (const k of FAULT_KINDS) {
      const p = cfg.rates[k] ?? 0;
      if (r < p) {
        kind = k;
        break;
      }
      r -= p;
    }
  }
  if (!kind) return null;
  const wanted: Phase = scripted?.phase ?? (cfg.phase === "mixed" ? (rng() < 0.5 ? "before" : "after") : cfg.phase);
  const phase = !canBeAfter || BEFORE_ONLY.has(kind) ? "before" : wanted;
  return { kind, phase };
}

/**
 * Uniform jitter around the mean, or, with p99 set, a log-normal whose median is the mean
 * and whose 99th percentile is p99: real gateway latency has a long right tail.
 */
export function sampleLatency(l: Latency, rng: Rng): number {
  if (l.p99Ms !== null && l.meanMs > 0 && l.p99Ms > l.meanMs) {
    const sigma = Math.log(l.p99Ms / l.meanMs) / 2.326;
    return Math.max(0, Math.round(l.meanMs * Math.exp(sigma * gaussian(rng))));
  }
  const jitter = l.jitterMs > 0 ? (rng() * 2 - 1) * l.jitterMs : 0;
  return Math.max(0, Math.round(l.meanMs + jitter));
}

export function activeOutage(cfg: FaultConfig, now: number): Outage | null {
  if (cfg.outage && now < cfg.outage.untilMs) return cfg.outage;
  cfg.outage = null;
  return null;
}
