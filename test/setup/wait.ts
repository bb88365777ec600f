/**
 * The suite's one wait (STYLE.md 14): a test waits on the state it needs (a row, a metric, a
 * log line, a mail), with a deadline, never for a time. The poll interval only bounds how often
 * the condition is read; it synchronises nothing.
 */

/** Reads the condition: a value means it holds; `undefined` or `false` means not yet. */
export type Probe<T> = () => Promise<T | undefined | false> | T | undefined | false;

/** Polls `probe` until it returns a value (not undefined or false) and returns it, or fails naming `what`. */
export async function eventually<T>(what: string, probe: Probe<T>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}
