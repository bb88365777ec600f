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
 *
 * `minIntervalMs` spaces notifications further apart. Each NOTIFY is a durable commit of
 * its own and wakes every relay for a query, so a writer that commits hundreds of times a
 * second (the API's group commit) would otherwise notify about as often as it commits;
 * measured here that cost a third of the create throughput. The first call after a quiet
 * period still notifies at once, so an idle relay is woken without delay.
 */
export function createOutboxNotifier(sql: Sql, topic: string, onError: (err: unknown) => void = () => {}, minIntervalMs = 0): () => void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    running = true;
    try {
      do {
        again = false;
        await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, ${topic})`;
        if (minIntervalMs > 0) await new Promise((resolve) => setTimeout(resolve, minIntervalMs));
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
