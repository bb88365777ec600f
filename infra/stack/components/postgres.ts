/**
 * PostgreSQL from Debian's packages: a private primary and a streaming replica
 * made with `pg_basebackup -R`, both on loopback, data under .stack/data.
 *
 * The cluster profile runs two nodes instead, `postgres-1` and `postgres-2` (same ports),
 * either of which may be the primary: the primary commits only once the standby has the
 * commit on disk (`synchronous_standby_names = '*'`), and `stack failover` (failover.ts)
 * promotes the standby and rewinds the old primary into the new standby.
 *
 * initdb refuses to run as root, so as root every PostgreSQL program runs as
 * the `postgres` system user that Debian's package creates.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadStackEnv } from "../../../shared/config.ts";
import type { Component } from "../component.ts";
import { DATA_DIR, logFile, RUN_DIR, STACK_DIR } from "../paths.ts";
import { run, StackError, tcpOpen, waitFor } from "../proc.ts";
import { postgresBinDir } from "../provision.ts";

const SUPERUSER = "payments";
const DATABASE = "payments";

function asOwner(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

export function pg(bin: string, args: string[]): string {
  const [cmd, full] = asOwner(join(postgresBinDir(), bin), args);
  return run(cmd, full, { cwd: "/" });
}

/** A directory the postgres user can write to. */
function ownedDir(path: string): void {
  mkdirSync(join(path, ".."), { recursive: true, mode: 0o755 });
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    const uid = Number(run("id", ["-u", "postgres"]).trim());
    const gid = Number(run("id", ["-g", "postgres"]).trim());
    chownSync(path, uid, gid);
  }
}

/**
 * As root, the postgres user must be able to pass through every directory above the
 * stack's data, logs and sockets. A checkout under `mktemp -d` (mode 700) blocks it, so
 * the missing search bit for others is added: directories stay unlistable and unreadable.
 */
function letPostgresThrough(): void {
  if (process.getuid?.() !== 0) return;
  for (let dir = dirname(STACK_DIR); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      console.log(`[stack] ${dir}: added search permission for others (o+x), so the postgres user can reach ${STACK_DIR}`);
    }
    if (dir === dirname(dir)) return;
  }
}

function socketDir(): string {
  const dir = join(RUN_DIR, "pg");
  ownedDir(dir);
  return dir;
}

export abstract class PostgresNode implements Component {
  readonly kind = "infra" as const;
  abstract readonly name: string;
  protected abstract port(): number;
  get pgPort() {
    return this.port();
  }
  protected abstract init(): Promise<void>;
  get dataDir() {
    return join(DATA_DIR, this.name);
  }
  get dataDirs() {
    return [this.dataDir];
  }
  endpoint() {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.port()}/${DATABASE}`;
  }
  async provision() {
    postgresBinDir();
    letPostgresThrough();
  }
  running() {
    return existsSync(join(this.dataDir, "postmaster.pid")) && this.status();
  }
  private status(): boolean {
    try {
      pg("pg_ctl", ["status", "-D", this.dataDir]);
      return true;
    } catch {
      return false;
    }
  }
  async healthy() {
    if (!(await tcpOpen(this.port()))) return false;
    try {
      const out = run(join(postgresBinDir(), "pg_isready"), ["-h", "127.0.0.1", "-p", String(this.port()), "-d", DATABASE, "-U", SUPERUSER]);
      return out.includes("accepting");
    } catch {
      return false;
    }
  }
  async start() {
    if (!existsSync(join(this.dataDir, "PG_VERSION"))) await this.init();
    await this.startServer();
  }
  /** pg_ctl start unless it runs, then waits until it accepts connections. */
  async startServer() {
    if (!this.running()) {
      const log = logFile(this.name);
      mkdirSync(join(log, ".."), { recursive: true });
      writeFileSync(log, "", { flag: "a" });
      if (process.getuid?.() === 0) chownSync(log, Number(run("id", ["-u", "postgres"]).trim()), 0);
      pg("pg_ctl", ["start", "-D", this.dataDir, "-l", log, "-W", "-o", `-p ${this.port()} -k ${socketDir()} -c listen_addresses=127.0.0.1`]);
    }
    await waitFor(this.name, () => this.healthy(), 60_000);
  }
  async stop() {
    if (this.status()) pg("pg_ctl", ["stop", "-D", this.dataDir, "-m", "fast", "-w", "-t", "60"]);
  }
}

/** One SQL statement through psql as the superuser; its output unaligned, without headers. */
export function psql(port: number, sql: string): string {
  return run(join(postgresBinDir(), "psql"), ["-h", "127.0.0.1", "-p", String(port), "-U", SUPERUSER, "-d", DATABASE, "-XAtqc", sql]).trim();
}

/** initdb, local-only access, the stack's settings, started, with the platform's database. */
async function initPrimary(node: PostgresNode, extra: string[] = []): Promise<void> {
  ownedDir(node.dataDir);
  pg("initdb", ["-D", node.dataDir, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]);
  // Local-only cluster: trust on loopback, replication allowed for the replica.
  writeFileSync(
    join(node.dataDir, "pg_hba.conf"),
    ["local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust", ""].join("\n"),
  );
  writeFileSync(
    join(node.dataDir, "postgresql.auto.conf"),
    [
      "wal_level = replica",
      "max_wal_senders = 5",
      "wal_keep_size = '256MB'",
      "max_connections = 300",
      "shared_buffers = '256MB'",
      "hot_standby = on",
      // Durable commits stay on: the platform's promises rest on them.
      "synchronous_commit = on",
      ...extra,
      "",
    ].join("\n"),
  );
  await node.startServer();
  pg("createdb", ["-h", "127.0.0.1", "-p", String(node.pgPort), "-U", SUPERUSER, DATABASE]);
}

/** A replica of the primary on `fromPort`: base backup with standby.signal and primary_conninfo. */
function baseBackup(node: PostgresNode, fromPort: number): void {
  ownedDir(node.dataDir);
  try {
    pg("pg_basebackup", ["-h", "127.0.0.1", "-p", String(fromPort), "-U", SUPERUSER, "-D", node.dataDir, "-R", "-X", "stream", "-c", "fast"]);
  } catch (e) {
    throw new StackError(`${node.name}: pg_basebackup from the primary on port ${fromPort} failed (is it running?)\n${(e as Error).message}`);
  }
}

export class PostgresPrimary extends PostgresNode {
  readonly name = "postgres-primary";
  protected port() {
    return loadStackEnv().PG_PRIMARY_PORT;
  }
  protected async init() {
    await initPrimary(this);
  }
}

export class PostgresReplica extends PostgresNode {
  readonly name = "postgres-replica";
  protected port() {
    return loadStackEnv().PG_REPLICA_PORT;
  }
  protected async init() {
    baseBackup(this, loadStackEnv().PG_PRIMARY_PORT);
  }
}

/**
 * A node of the cluster profile. The first to start on an empty data directory becomes the
 * primary; the other is made from it with a base backup. Whichever is the primary requires
 * a synchronous standby, set once it runs (setting it earlier would hold up createdb).
 */
export class PostgresClusterNode extends PostgresNode {
  readonly name: string;
  readonly index: 1 | 2;
  constructor(index: 1 | 2) {
    super();
    this.index = index;
    this.name = `postgres-${index}`;
  }
  protected port() {
    const env = loadStackEnv();
    return this.index === 1 ? env.PG_PRIMARY_PORT : env.PG_REPLICA_PORT;
  }
  peer(): PostgresClusterNode {
    return new PostgresClusterNode(this.index === 1 ? 2 : 1);
  }
  /** From the data directory: a standby has standby.signal (promotion removes it). */
  isStandby(): boolean {
    return existsSync(join(this.dataDir, "standby.signal"));
  }
  override endpoint() {
    const role = existsSync(join(this.dataDir, "PG_VERSION")) ? (this.isStandby() ? "synchronous standby" : "primary") : "not created yet";
    return `${super.endpoint()} (${role})`;
  }
  protected async init() {
    const peer = this.peer();
    // wal_log_hints lets pg_rewind turn a failed primary into the new primary's standby.
    if (!existsSync(join(peer.dataDir, "PG_VERSION"))) await initPrimary(this, ["wal_log_hints = on"]);
    else baseBackup(this, peer.pgPort);
  }
  override async start() {
    await super.start();
    if (!this.isStandby()) requireSyncStandby(this.pgPort);
  }
}

/** Both nodes of the cluster profile. */
export const clusterNodes = (): [PostgresClusterNode, PostgresClusterNode] => [new PostgresClusterNode(1), new PostgresClusterNode(2)];

/** Commits on the primary on `port` wait until a standby has flushed them. */
export function requireSyncStandby(port: number): void {
  psql(port, "ALTER SYSTEM SET synchronous_standby_names = '*'");
  psql(port, "SELECT pg_reload_conf()");
}
