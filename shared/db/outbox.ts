/**
 * Outbox wake-up, shared by every writer of outbox rows (API, payment worker) and the relay.
 * Writers call the notifier after their transaction commits; the relay LISTENs on
 * OUTBOX_CHANNEL and also polls, since a notification can be missed (relay restarting,
 * writer crashing between commit and notify). See migration 0001 for why this is not a trigger.
 */
import type { Sql } from "./client.ts";

/** Channel name is part of the contract with the relay: do not rename. */
export const OUTBOX_CHANNEL = "outbox";

/**
 * Returns a function to call after each commit that wrote outbox rows for `topic`.
 * Calls coalesce: at most one NOTIFY is in flight, and one more follows if commits
 * happened meanwhile, so a burst of commits costs a couple of notifications, not one each.
 */
export function createOutboxNotifier(sql: Sql, topic: string, onError: (err: unknown) => void = () => {}): () => void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    running = true;
    try {
      do {
        again = false;
        await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, ${topic})`;
      } while (again);
    } catch (err) {
      onError(err);
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}
