/**
 * A merchant's routing in Postgres (migration 0015): `routing_rules` holds the rules by
 * position, `merchants.failover_soft_declines` the soft-decline option. Plain SQL, so the
 * API and the CLI (Bun) and the payment worker (Node) share it.
 *
 * Every write replaces the whole routing in one transaction, so a reader (one statement,
 * one snapshot) sees the old rules or the new ones, never a mix.
 */
import type { Sql } from "../db/client.ts";
import { checkRules, type Problem, type Routing, type RoutingRule } from "./model.ts";

/**
 * not_found: no such merchant; invalid: the rules fail the checks (`problem` says where);
 * stored_invalid: a stored rule fails them (written around this module): routing it would be a guess.
 */
export class RoutingError extends Error {
  override name = "RoutingError";
  readonly kind: "not_found" | "invalid" | "stored_invalid";
  readonly problem: Problem | undefined;

  constructor(kind: RoutingError["kind"], message: string, problem?: Problem) {
    super(message);
    this.kind = kind;
    this.problem = problem;
  }
}

/** jsonb keeps no key order: a rule is shown in the schema's order, as it was written. */
function inSchemaOrder(rule: RoutingRule): RoutingRule {
  const c = rule.conditions;
  const pick = <T extends object>(o: T, keys: readonly (keyof T)[]): T => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as T;
  return pick(
    {
      conditions: c && pick(c, ["currencies", "amount_min", "amount_max", "payment_method_types"]),
      connectors: rule.connectors,
      split: rule.split?.map((s) => ({ connector: s.connector, percent: s.percent })),
    },
    ["conditions", "connectors", "split"],
  );
}

export async function loadRouting(sql: Sql, merchantId: string): Promise<Routing> {
  const [row] = await sql<{ failover_soft_declines: boolean; rules: unknown }[]>`
    SELECT m.failover_soft_declines,
           coalesce((SELECT jsonb_agg(r.rule ORDER BY r.position) FROM routing_rules r WHERE r.merchant_id = m.id), '[]'::jsonb) AS rules
      FROM merchants m WHERE m.id = ${merchantId}`;
  if (!row) throw new RoutingError("not_found", "No such merchant.");
  const checked = checkRules(row.rules);
  if (!checked.ok)
    throw new RoutingError("stored_invalid", `a stored routing rule fails its checks (${checked.problem.param}: ${checked.problem.message})`, checked.problem);
  return { rules: checked.rules.map(inSchemaOrder), failoverSoftDeclines: row.failover_soft_declines };
}

/** Replaces the merchant's rules and option; the merchant's row lock orders concurrent replaces. */
export async function replaceRouting(sql: Sql, merchantId: string, routing: Routing): Promise<Routing> {
  const checked = checkRules(routing.rules);
  if (!checked.ok) throw new RoutingError("invalid", `${checked.problem.param}: ${checked.problem.message}`, checked.problem);
  const rules: RoutingRule[] = checked.rules;
  await sql.begin(async (tx) => {
    const [merchant] = await tx`UPDATE merchants SET failover_soft_declines = ${routing.failoverSoftDeclines} WHERE id = ${merchantId} RETURNING id`;
    if (!merchant) throw new RoutingError("not_found", "No such merchant.");
    await tx`DELETE FROM routing_rules WHERE merchant_id = ${merchantId}`;
    if (rules.length === 0) return;
    await tx`
      INSERT INTO routing_rules (merchant_id, position, rule)
      SELECT ${merchantId}, (t.ord - 1)::int, t.rule FROM jsonb_array_elements(${sql.json(rules as never)}::jsonb) WITH ORDINALITY AS t(rule, ord)`;
  });
  return { rules, failoverSoftDeclines: routing.failoverSoftDeclines };
}
