/**
 * The readers every service's config loader is built from. Each reads one variable;
 * unset, empty or blank means "not given" (shells and compose files set empty strings
 * freely); anything else must parse completely or it is a ConfigError that names the
 * variable and says what it must be. No reader returns NaN or a half-parsed value, and
 * a secret's value never appears in a message.
 *
 * Erasable TypeScript only: the Node stream services load this file as it is.
 */
import { isIP } from "node:net";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The value as given, trimmed, or undefined when unset or blank. */
export function given(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

/** A pattern, or a predicate for what a pattern cannot say. */
export type Check = RegExp | ((value: string) => boolean);
const passes = (check: Check, value: string): boolean => (typeof check === "function" ? check(value) : check.test(value));

function refuse(name: string, what: string, raw: string): never {
  throw new ConfigError(`${name} must be ${what}, got ${JSON.stringify(raw)}`);
}

const INTEGER = /^[+-]?\d{1,16}$/;

/** A whole number in [min, max], in plain decimal ("1e3", "0x10", "10x", "1.5" are refused). */
export function int(env: Env, name: string, fallback: number, bounds: { min: number; max: number }): number {
  const raw = given(env, name);
  if (raw === undefined) return fallback;
  const n = INTEGER.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) refuse(name, `an integer in [${bounds.min}, ${bounds.max}]`, raw);
  return n;
}

/** A TCP port; `allowZero` for a listening port where 0 asks the OS for a free one. */
export function port(env: Env, name: string, fallback: number, opts: { allowZero?: boolean } = {}): number {
  return int(env, name, fallback, { min: opts.allowZero ? 0 : 1, max: 65535 });
}

/** 1/true or 0/false (any case). */
export function bool(env: Env, name: string, fallback = false): boolean {
  const raw = given(env, name);
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  return refuse(name, "1 or 0", raw);
}

export function oneOf<const T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = given(env, name);
  if (raw === undefined) return fallback;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  return refuse(name, `one of ${values.join(", ")}`, raw);
}

/** Text that passes `check` (described by `what` in the error). */
export function text(env: Env, name: string, fallback: string, check: Check, what: string): string {
  return optionalText(env, name, check, what) ?? fallback;
}

/** Like text, without a default: undefined when not given. */
export function optionalText(env: Env, name: string, check: Check, what: string): string | undefined {
  const raw = given(env, name);
  if (raw !== undefined && !passes(check, raw)) refuse(name, what, raw);
  return raw;
}

/**
 * A secret (API key, password): checked against `pattern`, but the message names only the
 * variable and the expected shape, never the value, not even a wrong one.
 */
export function secret(env: Env, name: string, check: Check, what: string): string | undefined {
  const raw = given(env, name);
  if (raw === undefined) return undefined;
  if (!passes(check, raw)) throw new ConfigError(`${name} must be ${what} (its value is not shown)`);
  return raw;
}

/** Hides the password part of a connection URL so it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, "$1:***@");
}

/**
 * A URL with one of `schemes` and no whitespace. Deliberately not `new URL()`: connection
 * strings such as multi-host Postgres URLs are valid for their drivers but not for WHATWG.
 * A refused value is shown with its password hidden.
 */
export function url(env: Env, name: string, fallback: string, schemes: readonly string[]): string {
  const raw = given(env, name);
  if (raw === undefined) return fallback;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/\S+$/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined || !schemes.includes(scheme)) refuse(name, `a ${schemes.map((s) => `${s}://`).join(" or ")} URL`, redactUrl(raw));
  return raw;
}

/**
 * A comma-separated list (items trimmed, empty items dropped); each item must pass `valid`.
 * A list that is given but holds no item is refused.
 */
export function list(env: Env, name: string, fallback: readonly string[], valid: Check, what: string): string[] {
  const raw = given(env, name);
  if (raw === undefined) return [...fallback];
  const items = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) refuse(name, `a comma-separated list of ${what}`, raw);
  const bad = items.find((item) => !passes(valid, item));
  if (bad !== undefined) refuse(name, `a comma-separated list of ${what}`, bad);
  return items;
}

const HOST_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export const isHost = (s: string): boolean => isIP(s) !== 0 || (s.length <= 253 && HOST_NAME.test(s));

/** An address to listen on or connect to: an IP address or a host name. */
export function host(env: Env, name: string, fallback: string): string {
  return text(env, name, fallback, isHost, "an IP address or a host name");
}

/** Kafka topic names and consumer group ids: what Kafka allows in a topic name. */
export const KAFKA_NAME = /^[A-Za-z0-9._-]{1,249}$/;
/** Service and instance names (logs, metrics labels, Postgres application_name, Kafka client id). */
export const SERVICE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** One line, no control characters: safe in a mail header. */
export const HEADER_TEXT = /^[^\p{Cc}]{1,320}$/u;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function logLevel(env: Env, fallback: LogLevel = "info"): LogLevel {
  return oneOf(env, "LOG_LEVEL", LOG_LEVELS, fallback);
}

/**
 * Runs a service's config loaders at start. A ConfigError stops the process at once:
 * one line on stderr naming the variable, no stack trace, exit code 2 (as the API does).
 */
export function configOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${service}: refusing to start: ${err.message}\n`);
    process.exit(2);
  }
}
