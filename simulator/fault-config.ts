/**
 * Reading fault settings from the environment (at start) and from POST /__admin/faults
 * (at run time). Both fail with a message naming the bad setting, never silently.
 */
import { DEFAULT_HANG_MS, emptyConfig, FAULT_KINDS, type FaultConfig, type FaultKind, type FaultRule, type Phase } from "./faults.ts";

export class ConfigError extends Error {}

const isKind = (k: string): k is FaultKind => (FAULT_KINDS as readonly string[]).includes(k);

function num(name: string, v: unknown, min = 0, max = 3_600_000): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function phase(name: string, v: unknown): FaultConfig["phase"] {
  if (v === "before" || v === "after" || v === "mixed") return v;
  throw new ConfigError(`${name} must be before, after or mixed, got ${JSON.stringify(v)}`);
}

function hang(name: string, v: unknown): number | null {
  return v === null || v === "never" ? null : num(name, v);
}

function checkRates(name: string, rates: Partial<Record<FaultKind, number>>): void {
  const sum = Object.values(rates).reduce((a, b) => a + b, 0);
  if (sum > 1 + 1e-9) throw new ConfigError(`${name}: the fault rates add up to ${sum}, more than 1`);
}

/** `500:0.1,503:0.05,429:0.05,reset:0.02,hang:0.02` */
export function parseRates(name: string, text: string): Partial<Record<FaultKind, number>> {
  const rates: Partial<Record<FaultKind, number>> = {};
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [kind, rate] = part.split(":");
    if (!kind || !isKind(kind)) throw new ConfigError(`${name}: unknown fault kind "${kind}" (one of ${FAULT_KINDS.join(", ")})`);
    rates[kind] = num(`${name} ${kind}`, rate, 0, 1);
  }
  checkRates(name, rates);
  return rates;
}

export function configFromEnv(env: Record<string, string | undefined>, now: number): FaultConfig {
  const cfg = emptyConfig();
  if (env.SIM_LATENCY_MS) cfg.latency.meanMs = num("SIM_LATENCY_MS", env.SIM_LATENCY_MS);
  if (env.SIM_LATENCY_JITTER_MS) cfg.latency.jitterMs = num("SIM_LATENCY_JITTER_MS", env.SIM_LATENCY_JITTER_MS);
  if (env.SIM_LATENCY_P99_MS) cfg.latency.p99Ms = num("SIM_LATENCY_P99_MS", env.SIM_LATENCY_P99_MS);
  if (env.SIM_FAULTS) cfg.rates = parseRates("SIM_FAULTS", env.SIM_FAULTS);
  if (env.SIM_FAULT_PHASE) cfg.phase = phase("SIM_FAULT_PHASE", env.SIM_FAULT_PHASE);
  cfg.hangMs = env.SIM_HANG_MS ? hang("SIM_HANG_MS", env.SIM_HANG_MS) : DEFAULT_HANG_MS;
  if (env.SIM_OUTAGE_MS) {
    const mode = env.SIM_OUTAGE_MODE ?? "503";
    if (mode !== "503" && mode !== "reset") throw new ConfigError(`SIM_OUTAGE_MODE must be 503 or reset, got "${mode}"`);
    cfg.outage = { untilMs: now + num("SIM_OUTAGE_MS", env.SIM_OUTAGE_MS, 0, 86_400_000), mode };
  }
  return cfg;
}

type Json = Record<string, unknown>;
const obj = (name: string, v: unknown): Json => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ConfigError(`${name} must be an object`);
  return v as Json;
};
const ALLOWED = new Set(["latency", "rates", "phase", "hangMs", "outage", "next", "rules"]);

/** Applies a partial update; fields not given keep their current value. */
export function applyUpdate(cfg: FaultConfig, input: unknown, now: number): void {
  const u = obj("body", input);
  for (const k of Object.keys(u)) if (!ALLOWED.has(k)) throw new ConfigError(`unknown field "${k}" (allowed: ${[...ALLOWED].join(", ")})`);
  const next: FaultConfig = structuredClone(cfg);
  if (u.latency !== undefined) {
    const l = obj("latency", u.latency);
    if (l.meanMs !== undefined) next.latency.meanMs = num("latency.meanMs", l.meanMs);
    if (l.jitterMs !== undefined) next.latency.jitterMs = num("latency.jitterMs", l.jitterMs);
    if (l.p99Ms !== undefined) next.latency.p99Ms = l.p99Ms === null ? null : num("latency.p99Ms", l.p99Ms);
  }
  if (u.rates !== undefined) {
    const r = obj("rates", u.rates);
    next.rates = {};
    for (const [k, v] of Object.entries(r)) {
      if (!isKind(k)) throw new ConfigError(`rates: unknown fault kind "${k}" (one of ${FAULT_KINDS.join(", ")})`);
      next.rates[k] = num(`rates.${k}`, v, 0, 1);
    }
    checkRates("rates", next.rates);
  }
  if (u.phase !== undefined) next.phase = phase("phase", u.phase);
  if (u.hangMs !== undefined) next.hangMs = hang("hangMs", u.hangMs);
  if (u.outage !== undefined) next.outage = u.outage === null ? null : outage(obj("outage", u.outage), now);
  if (u.next !== undefined) next.next = scripted(u.next);
  // Rules are replaced as a whole (and their per-payment counts start again).
  next.rules = u.rules !== undefined ? rules(u.rules) : cfg.rules;
  Object.assign(cfg, next);
}

function outage(o: Json, now: number): FaultConfig["outage"] {
  const mode = o.mode ?? "503";
  if (mode !== "503" && mode !== "reset" && mode !== "refuse") throw new ConfigError(`outage.mode must be 503, reset or refuse`);
  if (o.untilMs !== undefined) return { untilMs: num("outage.untilMs", o.untilMs, 0, Number.MAX_SAFE_INTEGER), mode };
  if (o.durationMs !== undefined) return { untilMs: now + num("outage.durationMs", o.durationMs, 0, 86_400_000), mode };
  throw new ConfigError("outage needs durationMs or untilMs (epoch milliseconds)");
}

function fault(name: string, o: Json): { kind: FaultKind; phase?: Phase } {
  if (typeof o.kind !== "string" || !isKind(o.kind)) throw new ConfigError(`${name}.kind must be one of ${FAULT_KINDS.join(", ")}`);
  if (o.phase === undefined) return { kind: o.kind };
  if (o.phase !== "before" && o.phase !== "after" && o.phase !== "stored") throw new ConfigError(`${name}.phase must be before, after or stored`);
  return { kind: o.kind, phase: o.phase as Phase };
}

function scripted(v: unknown): FaultConfig["next"] {
  if (!Array.isArray(v) || v.length > 10_000) throw new ConfigError("next must be an array of { kind, phase? }");
  return v.map((item, i) => fault(`next[${i}]`, obj(`next[${i}]`, item)));
}

function rules(v: unknown): FaultRule[] {
  if (!Array.isArray(v) || v.length > 1_000) throw new ConfigError("rules must be an array of { match, kind, phase?, times? }");
  return v.map((item, i) => {
    const o = obj(`rules[${i}]`, item);
    const match = obj(`rules[${i}].match`, o.match);
    if (Object.keys(match).length === 0 || !Object.values(match).every((x) => typeof x === "string")) {
      throw new ConfigError(`rules[${i}].match must be a non-empty object of metadata strings, e.g. { "payment_id": "pay_…" }`);
    }
    const rule: FaultRule = { match: match as Record<string, string>, ...fault(`rules[${i}]`, o) };
    if (o.times !== undefined) rule.times = num(`rules[${i}].times`, o.times, 1, 1_000_000);
    return rule;
  });
}
