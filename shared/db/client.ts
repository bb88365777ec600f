/**
 * Postgres client factory (the `postgres` package). Every service builds its pools here
 * so connection settings stay the same everywhere. Loaded by Bun and by Node 24.
 */
import postgres from "postgres";

export type Sql = postgres.Sql<Record<string, never>>;
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;

/** `sql.begin` typed as a plain function of the transaction (a transaction group's `begin`). */
export const beginOn =
  (sql: Sql) =>
  <R>(work: (tx: TransactionSql) => Promise<R>): Promise<R> =>
    sql.begin((tx) => work(tx as TransactionSql)) as Promise<R>;

export type DbOptions = {
  url: string;
  /** Pool size. */
  max?: number;
  /** Shown in pg_stat_activity, so an operator can tell who holds a lock. */
  applicationName?: string;
  /** Seconds before giving up on a new connection. */
  connectTimeout?: number;
};

export function createDb(opts: DbOptions): Sql {
  return postgres(opts.url, {
    max: opts.max ?? 10,
    connect_timeout: opts.connectTimeout ?? 10,
    idle_timeout: 60,
    // Our statements are few and fixed, so prepared statements pay off.
    prepare: true,
    // Postgres NOTICEs (e.g. "relation already exists, skipping") are not worth a log line each.
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? "payments" },
  }) as unknown as Sql;
}

/** Driver codes and SQLSTATEs that say the database cannot be reached or is going away: retry later. */
const UNAVAILABLE_CODES = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down)
  "53300", // too_many_connections
]);

/** The error is the database being unavailable (down, restarting, unreachable), not a fault of the query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"));
}
