/**
 * Error vocabulary shared by the engine and the workers' handlers.
 *
 * A worker may throw these typed errors, or supply its own `classify`; the
 * engine asks `classify` first and falls back to `defaultClassify`.
 */

/** The decision for a failed message: try again later, or give up now (DLQ). */
export type Verdict = "retry" | "fatal";

/** The record can never be handled: undecodable bytes or a schema violation. Goes to the DLQ at once. */
export class PoisonError extends Error {
  override name = "PoisonError";
}

/** Handling failed for a reason that will not go away by retrying (e.g. a business rule). */
export class FatalError extends Error {
  override name = "FatalError";
}

/** Handling failed for a transient reason (timeout, 5xx, 429, connection reset). */
export class RetryableError extends Error {
  override name = "RetryableError";
}

/**
 * Unknown errors are retried: for payments a transient fault mistaken for a
 * permanent one loses a charge, while the reverse only costs a few retries
 * before the DLQ catches it.
 */
export function defaultClassify(err: unknown): Verdict {
  if (err instanceof PoisonError || err instanceof FatalError) return "fatal";
  return "retry";
}

/** Name recorded in `x-error-class`. */
export function errorClassOf(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? err.name : err.constructor.name;
  return typeof err;
}

const MAX_MESSAGE = 1000;

/** Message recorded in `x-error-message`: one line, bounded, since headers travel with every copy. */
export function errorMessageOf(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const line = raw.replace(/\s+/g, " ").trim();
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}
