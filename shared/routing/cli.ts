/**
 * Operator CLI for a merchant's routing (Bun): `bun run routing <command>`.
 *
 *   show --merchant mer_… [--json]
 *   set  --merchant mer_… --file rules.json [--soft-declines on|off]
 *
 * The file holds the rules as a JSON list, or the routing document `show --json` and
 * GET /v1/routing print (`{ "rules": [...], "failover_soft_declines": false }`). The option
 * is --soft-declines if given, else the file's, else left as it is. The rules are checked
 * as the API checks them, and replaced in one transaction.
 *
 * Exit codes: 0 done, 2 usage or invalid input (nothing changed), 1 unknown merchant or a
 * stored rule that fails its checks.
 */
import { readFile, stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadStackEnv } from "../config.ts";
import { createDb, type Sql } from "../db/client.ts";
import { MerchantId } from "../events.ts";
import { checkRules, type Routing, type RoutingRule } from "./model.ts";
import { loadRouting, replaceRouting, RoutingError } from "./store.ts";

const USAGE = `usage: bun run routing show --merchant <id> [--json]
       bun run routing set --merchant <id> --file rules.json [--soft-declines on|off]`;

/** A routing file is a few kilobytes; anything far larger is the wrong file. */
const MAX_FILE_BYTES = 1024 * 1024;
const MERCHANT = new RegExp(MerchantId.pattern!);
const DOCUMENT_KEYS = new Set(["object", "rules", "failover_soft_declines"]);

class UsageError extends Error {}

const document = (r: Routing) => ({ object: "routing", rules: r.rules, failover_soft_declines: r.failoverSoftDeclines });

function describeRule(rule: RoutingRule): string {
  const c = rule.conditions ?? {};
  const when: string[] = [];
  if (c.currencies) when.push(`currency ${c.currencies.join("|")}`);
  if (c.amount_min !== undefined || c.amount_max !== undefined) when.push(`amount ${c.amount_min ?? 1}..${c.amount_max ?? "∞"}`);
  if (c.payment_method_types) when.push(`method ${c.payment_method_types.join("|")}`);
  const then = rule.split ? `split ${rule.split.map((s) => `${s.connector} ${s.percent}%`).join(", ")}` : (rule.connectors ?? []).join(" → ");
  return `${when.length ? when.join(", ") : "every payment"}  ⇒  ${then}`;
}

function printRouting(merchantId: string, r: Routing, out: (s: string) => void) {
  out(`merchant ${merchantId}: ${r.rules.length} rule(s), soft-decline failover ${r.failoverSoftDeclines ? "on" : "off"}`);
  for (const [i, rule] of r.rules.entries()) out(`  ${String(i).padStart(2)}  ${describeRule(rule)}`);
  out("  a payment matching no rule takes the platform's default connector");
}

/** The rules (and the option, when the file has one) from a routing file; never echoes its content. */
async function readRoutingFile(path: string): Promise<{ rules: RoutingRule[]; failoverSoftDeclines?: boolean }> {
  let text: string;
  try {
    if ((await stat(path)).size > MAX_FILE_BYTES) throw new UsageError(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
    text = await readFile(path, "utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${path} (${(err as { code?: string }).code ?? "error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not valid JSON`);
  }
  let rules: unknown = parsed;
  let flag: boolean | undefined;
  if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
    const doc = parsed as Record<string, unknown>;
    const unknown = Object.keys(doc).find((k) => !DOCUMENT_KEYS.has(k));
    if (unknown !== undefined) throw new UsageError(`${path}: unknown field (expected rules, failover_soft_declines)`);
    if (!("rules" in doc)) throw new UsageError(`${path}: rules: missing`);
    if (doc.object !== undefined && doc.object !== "routing") throw new UsageError(`${path}: object: must be routing`);
    if (doc.failover_soft_declines !== undefined && typeof doc.failover_soft_declines !== "boolean")
      throw new UsageError(`${path}: failover_soft_declines: must be true or false`);
    rules = doc.rules;
    flag = doc.failover_soft_declines as boolean | undefined;
  }
  const checked = checkRules(rules);
  if (!checked.ok) throw new UsageError(`${path}: ${checked.problem.param}: ${checked.problem.message}`);
  return { rules: checked.rules, ...(flag === undefined ? {} : { failoverSoftDeclines: flag }) };
}

function softDeclines(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (v === "on") return true;
  if (v === "off") return false;
  throw new UsageError("--soft-declines must be on or off");
}

export async function runCli(argv: string[], io: { out?: (s: string) => void; err?: (s: string) => void; sql?: Sql } = {}): Promise<number> {
  const out = io.out ?? console.log;
  const err = io.err ?? console.error;
  const parse = () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { merchant: { type: "string" }, file: { type: "string" }, "soft-declines": { type: "string" }, json: { type: "boolean" } },
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (e) {
    err(`error: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [cmd, extra] = positionals;
  if ((cmd !== "show" && cmd !== "set") || extra !== undefined) {
    err(USAGE);
    return 2;
  }
  const sql = io.sql ?? createDb({ url: loadStackEnv().DATABASE_URL, max: 1, applicationName: "routing-cli" });
  try {
    const merchantId = values.merchant;
    if (merchantId === undefined || !MERCHANT.test(merchantId)) throw new UsageError("--merchant must be a merchant id (mer_…)");
    if (cmd === "show") {
      if (values.file !== undefined || values["soft-declines"] !== undefined) throw new UsageError("show takes --merchant and --json only");
      const routing = await loadRouting(sql, merchantId);
      if (values.json) out(JSON.stringify(document(routing), null, 2));
      else printRouting(merchantId, routing, out);
      return 0;
    }
    if (values.file === undefined) throw new UsageError("set needs --file rules.json");
    const flag = softDeclines(values["soft-declines"]);
    const file = await readRoutingFile(values.file);
    const failoverSoftDeclines = flag ?? file.failoverSoftDeclines ?? (await loadRouting(sql, merchantId)).failoverSoftDeclines;
    const stored = await replaceRouting(sql, merchantId, { rules: file.rules, failoverSoftDeclines });
    out(`routing of ${merchantId} replaced`);
    printRouting(merchantId, stored, out);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof RoutingError) {
      err(`error: ${e.kind === "not_found" ? "no such merchant" : e.message}`);
      return e.kind === "invalid" ? 2 : 1;
    }
    throw e;
  } finally {
    if (!io.sql) await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) process.exit(await runCli(process.argv.slice(2)));
