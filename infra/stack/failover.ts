/**
 * `bun run stack failover` (cluster profile): the standby becomes the primary and the old
 * primary its synchronous standby, while the services keep running. They connect with
 * multi-host URLs and `target_session_attrs` (shared/config.ts), so their next connection
 * finds the new primary by itself.
 *
 * 1. The primary is stopped if it still runs (a planned switchover); after a SIGKILL it is
 *    already gone.
 * 2. The standby is promoted (`pg_ctl promote`) and checkpoints, so its new timeline is on
 *    disk for pg_rewind. It requires a synchronous standby too: commits wait from here
 *    until step 3 is done, and none is acknowledged on one node only.
 * 3. The old primary is rewound onto the new timeline (`pg_rewind --write-recovery-conf`,
 *    which also recovers a crashed data directory first); if that fails, it is made again
 *    with a base backup. It starts as the standby and streams.
 *
 * A production deployment leaves this to a failover manager (docs/capacity.md).
 */
import { rmSync } from "node:fs";
import { clusterNodes, pg, type PostgresClusterNode, psql, requireSyncStandby } from "./components/postgres.ts";
import { StackError, waitFor } from "./proc.ts";

const inRecovery = (node: PostgresClusterNode): boolean | undefined => {
  try {
    return psql(node.pgPort, "SELECT pg_is_in_recovery()") === "t";
  } catch {
    return undefined;
  }
};

export async function failover(log = (msg: string) => console.log(`[stack] ${msg}`)): Promise<void> {
  const t0 = performance.now();
  const nodes = clusterNodes();
  const standby = nodes.find((n) => n.running() && inRecovery(n) === true);
  if (!standby) throw new StackError("failover: no running standby to promote (bun run stack status)");
  const old = standby.peer();
  if (old.running()) {
    log(`${old.name}: stopping the primary`);
    // A postmaster that was just killed may still be exiting: pg_ctl then finds no server to stop.
    await old.stop().catch((e: unknown) => log(`${old.name}: ${(e as Error).message.split("\n")[0]}`));
  }
  log(`${standby.name}: promoting`);
  pg("pg_ctl", ["promote", "-D", standby.dataDir, "-w", "-t", "60"]);
  await waitFor(standby.name, async () => inRecovery(standby) === false, 60_000);
  requireSyncStandby(standby.pgPort);
  psql(standby.pgPort, "CHECKPOINT");
  const source = `host=127.0.0.1 port=${standby.pgPort} user=payments dbname=payments`;
  try {
    pg("pg_rewind", ["--target-pgdata", old.dataDir, "--source-server", source, "--write-recovery-conf"]);
    log(`${old.name}: rewound onto ${standby.name}'s timeline`);
  } catch (e) {
    log(`${old.name}: pg_rewind failed (${(e as Error).message.split("\n").slice(-1)[0]}); making it again with a base backup`);
    rmSync(old.dataDir, { recursive: true, force: true });
  }
  await old.start();
  await waitFor(
    old.name,
    async () => psql(standby.pgPort, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync' AND state = 'streaming'") === "1",
    60_000,
  );
  log(`${standby.name} is the primary, ${old.name} its synchronous standby (failover took ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
