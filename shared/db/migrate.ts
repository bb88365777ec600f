/**
 * Versioned SQL migrations: `migrations/NNNN_name.sql`, applied in order, each once.
 *
 * All pending files run in ONE transaction that first takes a transaction-scoped advisory
 * lock, so two API instances starting together apply them exactly once and the loser
 * simply finds nothing left to do. A migration file that changed after it was applied
 * stops start-up: edit by adding a new file, never by rewriting history.
 * (A future `CREATE INDEX CONCURRENTLY` cannot run in a transaction; it needs its own path.)
 *
 * Run: `bun run migrate` (uses DATABASE_URL from shared/config.ts).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql } from "./client.ts";

/** Arbitrary but fixed: every instance must lock the same number. */
const MIGRATION_LOCK_ID = 727_001;
const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/;

export type Migration = { version: number; name: string; sql: string; checksum: string };

export function loadMigrations(dir: string = join(import.meta.dirname, "migrations")): Migration[] {
  return readdirSync(dir)
    .filter((f) => FILE_PATTERN.test(f))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name), "utf8");
      return {
        version: Number(name.slice(0, 4)),
        name,
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      };
    });
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/** Applies pending migrations; returns the names applied by this call. */
export async function migrate(sql: Sql, migrations: Migration[] = loadMigrations()): Promise<string[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`;
    const rows = await tx<{ version: number; name: string; checksum: string }[]>`
      SELECT version, name, checksum FROM schema_migrations`;
    const applied = new Map(rows.map((r) => [r.version, r]));
    const done: string[] = [];
    for (const m of migrations) {
      const prior = applied.get(m.version);
      if (prior) {
        if (prior.checksum !== m.checksum) {
          throw new MigrationError(`migration ${m.name} changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`;
      done.push(m.name);
    }
    return done;
  });
}

if (import.meta.main) {
  const { loadStackEnv, redactUrl } = await import("../config.ts");
  const { createDb } = await import("./client.ts");
  const env = loadStackEnv();
  const sql = createDb({ url: env.DATABASE_URL, max: 1, applicationName: "migrate" });
  try {
    const done = await migrate(sql);
    console.log(done.length ? `applied ${done.join(", ")} to ${redactUrl(env.DATABASE_URL)}` : "schema is up to date");
  } finally {
    await sql.end({ timeout: 5 });
  }
}
