/**
 * Operator CLI for dead letters (Bun): `bun run dlq <command>`.
 *
 *   list [--state new|replayed|discarded] [--topic t] [--key pay_…] [--since ISO] [--limit n] [--json]
 *   show <id>
 *   replay <id>
 *   replay --all [--state new] [--topic t] [--key k] [--since ISO] [--limit n]
 *   discard <id> --reason "why"
 *
 * Replay writes an outbox row (first retry tier of the original topic); the outbox relay publishes it.
 */
import { parseArgs } from "node:util";
import { loadStackEnv } from "../config.ts";
import { createDb } from "../db/client.ts";
import { DeadLetterError, type DeadLetterFilter, type DeadLetterState, type DeadLetterSummary } from "./model.ts";
import { deadLetterStore } from "./store.ts";

const USAGE = `usage: bun run dlq list [--state s] [--topic t] [--key k] [--since ISO] [--limit n] [--json]
       bun run dlq show <id>
       bun run dlq replay <id> | replay --all [--state new] [--topic t] [--key k] [--since ISO] [--limit n]
       bun run dlq discard <id> --reason "..."`;

const STATES: readonly string[] = ["new", "replayed", "discarded"];

function filterOf(v: Record<string, string | boolean | undefined>): DeadLetterFilter {
  const f: DeadLetterFilter = {};
  if (typeof v.state === "string") {
    if (!STATES.includes(v.state)) throw new DeadLetterError("invalid", `--state must be one of ${STATES.join(", ")}`);
    f.state = v.state as DeadLetterState;
  }
  if (typeof v.topic === "string") f.topic = v.topic;
  if (typeof v.key === "string") f.key = v.key;
  if (typeof v.since === "string") f.since = v.since;
  if (typeof v.limit === "string") {
    const n = Number(v.limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new DeadLetterError("invalid", "--limit must be an integer in [1, 1000]");
    f.limit = n;
  }
  return f;
}

const row = (d: DeadLetterSummary) =>
  [
    d.id.padStart(6),
    d.state.padEnd(9),
    d.created_at.slice(0, 19),
    d.original_topic.padEnd(20),
    (d.key ?? "-").padEnd(36),
    `${d.error_class ?? ""}: ${(d.error_message ?? "").slice(0, 60)}`,
  ].join("  ");

export async function runCli(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      state: { type: "string" },
      topic: { type: "string" },
      key: { type: "string" },
      since: { type: "string" },
      limit: { type: "string" },
      reason: { type: "string" },
      all: { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const [cmd, id] = positionals;
  if (cmd === undefined || !["list", "show", "replay", "discard"].includes(cmd)) {
    out(USAGE);
    return 2;
  }
  const sql = createDb({ url: loadStackEnv().DATABASE_URL, max: 2, applicationName: "dlq-cli" });
  const store = deadLetterStore(sql);
  try {
    if (cmd === "list") {
      const items = await store.list(filterOf(values));
      if (values.json) out(JSON.stringify(items, null, 2));
      else {
        out(["    id", "state    ", "created (UTC)      ", "original topic      ", "key".padEnd(36), "error"].join("  "));
        for (const d of items) out(row(d));
        out(`${items.length} dead letter(s)`);
      }
    } else if (cmd === "show") {
      if (!id) throw new DeadLetterError("invalid", "show needs an id");
      out(JSON.stringify(await store.show(id), null, 2));
    } else if (cmd === "replay") {
      if (values.all) {
        const ids = await store.replayMatching(filterOf(values));
        out(`replayed ${ids.length} dead letter(s)${ids.length ? `: ${ids.join(", ")}` : ""}`);
      } else {
        if (!id) throw new DeadLetterError("invalid", "replay needs an id, or --all with filters");
        const d = await store.replay(id);
        out(`replayed dead letter ${d.id} to the first retry tier of ${d.original_topic} (via the outbox)`);
      }
    } else {
      if (!id || typeof values.reason !== "string") throw new DeadLetterError("invalid", 'discard needs an id and --reason "..."');
      const d = await store.discard(id, values.reason);
      out(`discarded dead letter ${d.id}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof DeadLetterError) {
      out(`error: ${err.message}`);
      return err.kind === "invalid" ? 2 : 1;
    }
    throw err;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) process.exit(await runCli(process.argv.slice(2)));
