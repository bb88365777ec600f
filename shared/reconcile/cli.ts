/**
 * Operator CLI (Bun): `bun run reconcile [--date YYYY-MM-DD] [--format json|csv] [--connector stripe|adyen]`.
 *
 * Reconciles one UTC day (default: yesterday) of the platform's payments against each
 * configured connector's records (run.ts) and prints the report: JSON (the whole report) or
 * CSV (one line per mismatch). Warnings and a one-line summary go to stderr. The database is
 * DATABASE_URL (shared/config.ts, the local stack's by default); the connectors come from the
 * environment as the workers read it (sources.ts): against the local simulators, set
 * STRIPE_API_BASE=http://127.0.0.1:12111 and ADYEN_API_BASE=http://127.0.0.1:12112.
 *
 * Exit codes: 0 no mismatches, 1 mismatches, 2 bad usage or configuration (nothing was read),
 * 3 a source could not be read (the database, a gateway): no report.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadStackEnv } from "../config.ts";
import { CONNECTORS, type ConnectorName } from "../connectors/types.ts";
import { createDb, isDatabaseUnavailable, type Sql } from "../db/client.ts";
import type { Env } from "../env.ts";
import { formatDay, parseDay, yesterday } from "./days.ts";
import { ReconcileError, type ReconcileSources, type Report } from "./model.ts";
import { reconcile, toCsv } from "./run.ts";
import { loadReconcileSources } from "./sources.ts";

const USAGE = "usage: bun run reconcile [--date YYYY-MM-DD] [--format json|csv] [--connector stripe|adyen]";

class UsageError extends Error {}

type Io = { out?: (s: string) => void; err?: (s: string) => void; env?: Env; sql?: Sql; sources?: ReconcileSources; now?: () => Date };

function options(argv: string[], now: Date): { date: string; format: "json" | "csv"; connector: ConnectorName | undefined } {
  let values: { date?: string | undefined; format?: string | undefined; connector?: string | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { date: { type: "string" }, format: { type: "string" }, connector: { type: "string" } } }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const date = values.date ?? formatDay(yesterday(now));
  if (!parseDay(date)) throw new UsageError("--date must be a day as YYYY-MM-DD");
  const format = values.format ?? "json";
  if (format !== "json" && format !== "csv") throw new UsageError("--format must be json or csv");
  const connector = values.connector;
  if (connector !== undefined && !(CONNECTORS as readonly string[]).includes(connector))
    throw new UsageError(`--connector must be one of ${CONNECTORS.join(", ")}`);
  return { date, format, connector: connector as ConnectorName | undefined };
}

function only(sources: ReconcileSources, connector: ConnectorName | undefined): ReconcileSources {
  if (connector === undefined) return sources;
  const reader = sources[connector];
  if (!reader)
    throw new UsageError(
      `${connector} is not configured: set ${connector === "adyen" ? "ADYEN_API_BASE or ADYEN_API_KEY" : "STRIPE_API_BASE or STRIPE_SECRET_KEY"}`,
    );
  return { [connector]: reader };
}

function summary(r: Report): string {
  const per = r.connectors
    .map((c) => `${c} ${r.summary.by_connector[c]?.payments ?? 0} payments / ${r.summary.by_connector[c]?.gateway_records ?? 0} records`)
    .join(", ");
  const unchecked = Object.entries(r.summary.unchecked)
    .map(([c, n]) => `; ${n} payments at ${c} not compared`)
    .join("");
  return `reconcile ${r.date}: ${r.summary.mismatches} mismatch(es) (${per})${unchecked}`;
}

export async function runCli(argv: string[], io: Io = {}): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s));
  const err = io.err ?? console.error;
  const env = io.env ?? process.env;
  let sql: Sql | undefined;
  try {
    const opts = options(argv, io.now?.() ?? new Date());
    const sources = only(io.sources ?? loadReconcileSources(env), opts.connector);
    sql = io.sql ?? createDb({ url: loadStackEnv(env).DATABASE_URL, max: 2, applicationName: "reconcile-cli" });
    const report = await reconcile(sql, sources, opts.date);
    out(opts.format === "csv" ? toCsv(report) : `${JSON.stringify(report, null, 2)}\n`);
    for (const w of report.warnings) err(`warning: ${w}`);
    err(summary(report));
    return report.summary.mismatches === 0 ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      err(`error: ${e.message}\n${USAGE}`);
      return 2;
    }
    // A source that could not be read is the operator's to fix; anything else is a bug, shown with its stack.
    const known = e instanceof ReconcileError || isDatabaseUnavailable(e);
    err(`error: the reconciliation could not complete${known ? `: ${(e as Error).message}` : " (an unexpected error follows)"}`);
    if (!known) console.error(e);
    return 3;
  } finally {
    if (sql && !io.sql) await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) process.exit(await runCli(process.argv.slice(2)));
