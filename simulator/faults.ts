/**
 * Fault injection. A fault can hit BEFORE the endpoint runs (nothing charged, nothing saved
 * for the idempotency key) or AFTER it (the charge happened and its result is saved, but
 * the client sees an error, a reset or a hang). The after case is the one that makes a
 * naive client charge twice; a retry with the same key must replay the saved result.
 */
import { gaussian, type Rng } from "./rng.ts";

export const FAULT_KINDS = ["500", "503", "429", "lock_timeout", "reset", "hang"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type Phase = "before" | "after";
export type PhaseSetting = Phase | "mixed";
export type Fault = { kind: FaultKind; phase: Phase };

export type Latency = { meanMs: number; jitterMs: number; p99Ms: number | null };
export type Outage = { untilMs: number; mode: "503" | "reset" };

export type FaultConfig = {
  latency: Latency;
  rates: Partial<Record<FaultKind, number>>;
  phase: PhaseSetting;
  /** How long a hang holds the response; null never answers. */
  hangMs: number | null;
  outage: Outage | null;
  /** Scripted faults, consumed one per API request before the random rates apply. */
  next: Array<{ kind: FaultKind; phase?: Phase }>;
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
  };
}

/** The rate limiter and lock manager run before Stripe's idempotency layer: never "after". */
const BEFORE_ONLY: ReadonlySet<FaultKind> = new Set(["429", "lock_timeout"]);

export function decideFault(cfg: FaultConfig, rng: Rng, canBeAfter: boolean): Fault | null {
  const scripted = cfg.next.shift();
  let kind: FaultKind | undefined = scripted?.kind;
  if (!kind) {
    let r = rng();
    for (const k of FAULT_KINDS) {
      const p = cfg.rates[k] ?? 0;
      if (r < p) { kind = k; break; }
      r -= p;
    }
  }
  if (!kind) return null;
  const wanted = scripted?.phase ?? (cfg.phase === "mixed" ? (rng() < 0.5 ? "before" : "after") : cfg.phase);
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
