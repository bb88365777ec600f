/**
 * Reads that prefer the replica and survive it: a read goes to the replica while it
 * answers and trails the primary by at most `maxLagMs`; otherwise, and whenever a replica
 * query fails, it goes to the primary. A replica that failed is left alone until the lag
 * probe reaches it again, so an outage costs one failed query, not one per request.
 *
 * The lag is the replica's replay delay: zero when it has replayed everything it
 * received (an idle primary sends nothing, so there is nothing to trail), else the age of
 * the last transaction it replayed. With replay paused and writes arriving, that age grows
 * and reads move to the primary once it passes the bound.
 */
import type { Sql } from "./client.ts";

export type FallbackReason = "error" | "lag";

export type ReplicaReads = {
  /** Runs the query on the replica when it is fit to serve, else (or when it fails there) on the primary. */
  read<T>(query: (sql: Sql) => Promise<T>): Promise<T>;
  /** The last measured replay lag in ms; null while the replica does not answer. */
  lagMs(): number | null;
  stop(): void;
};

export function createReplicaReads(deps: {
  primary: Sql;
  replica: Sql;
  maxLagMs: number;
  /** How often the lag is measured. */
  probeMs?: number;
  onFallback?: (reason: FallbackReason) => void;
  /** After each probe: the lag in ms, null while the replica does not answer. */
  onProbe?: (lagMs: number | null) => void;
}): ReplicaReads {
  let lag: number | null = 0;
  let stopped = false;

  const probe = async (): Promise<void> => {
    try {
      const [row] = await deps.replica<{ lag_ms: number }[]>`
        SELECT CASE WHEN pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                    ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)
               END::float8 AS lag_ms`;
      lag = row?.lag_ms ?? 0;
    } catch {
      lag = null;
    }
    deps.onProbe?.(lag);
  };
  const timer = setInterval(() => void probe(), deps.probeMs ?? 250);
  timer.unref?.();
  void probe();

  return {
    async read(query) {
      if (lag === null || lag > deps.maxLagMs) {
        deps.onFallback?.(lag === null ? "error" : "lag");
        return query(deps.primary);
      }
      try {
        return await query(deps.replica);
      } catch {
        // Whatever the replica's trouble (down, restarting, a recovery conflict), the primary has the answer.
        lag = null;
        deps.onFallback?.("error");
        return query(deps.primary);
      }
    },
    lagMs: () => lag,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
    },
  };
}
