/**
 * A merchant's routing, written once in TypeBox: the API validates with it and shows it in
 * the OpenAPI document, the ops CLI checks a file with it, and the store checks every rule
 * it reads back (a rule is jsonb in `routing_rules.rule`, migration 0015).
 *
 * What a schema cannot say (exactly one of `connectors` or `split`, a split's connectors
 * distinct and its percents summing to 100, amount_min <= amount_max) is `ruleProblem`'s,
 * and every writer runs both. Loaded by Bun and by Node: erasable TypeScript only.
 */
import { Type, type Static } from "@sinclair/typebox";
import { Value, ValueErrorType, type ValueError } from "@sinclair/typebox/value";
import { CONNECTORS, type ConnectorName } from "../connectors/types.ts";
import { supportedCurrencyCodes } from "../currencies.ts";
import { Amount } from "../events.ts";

/** Each payment walks its merchant's rules in order, so the list stays short enough to read. */
export const MAX_RULES = 20;

export const PAYMENT_METHOD_TYPES = ["card"] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

/**
 * A payment's method type, from its token: `pm_card_…` is a card. Any other token has no
 * type a rule can name, so a rule with `payment_method_types` does not match it.
 */
export function paymentMethodType(token: string): PaymentMethodType | null {
  return token.startsWith("pm_card_") ? "card" : null;
}

/**
 * One of `values`, typed as their union. (A union built from a mapped array is typed as a
 * union of one literal type, which Elysia's inference reads as never; Unsafe keeps the
 * schema, Kind Union included, and states the type.)
 */
const literalUnion = <T extends string>(values: readonly T[], options: { error: string; description?: string }) =>
  Type.Unsafe<T>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      options,
    ),
  );

export const Connector = literalUnion(CONNECTORS, { error: `must be one of ${CONNECTORS.join(", ")}`, description: "A connector (payment gateway)." });

const Currency = literalUnion(supportedCurrencyCodes, { error: "must be a supported ISO 4217 currency code in upper case, e.g. USD" });

const Bound = (description: string) =>
  Type.Integer({ minimum: 1, maximum: Amount.maximum, error: `must be an integer number of minor units between 1 and ${Amount.maximum}`, description });

export const RuleConditions = Type.Object(
  {
    currencies: Type.Optional(
      Type.Array(Currency, {
        minItems: 1,
        maxItems: supportedCurrencyCodes.length,
        uniqueItems: true,
        error: "must be a non-empty list of distinct supported currency codes",
        description: "The payment's currency is one of these.",
      }),
    ),
    amount_min: Type.Optional(Bound("The payment's amount is at least this, in its currency's minor units.")),
    amount_max: Type.Optional(Bound("The payment's amount is at most this, in its currency's minor units.")),
    payment_method_types: Type.Optional(
      Type.Array(literalUnion(PAYMENT_METHOD_TYPES, { error: `must be one of ${PAYMENT_METHOD_TYPES.join(", ")}` }), {
        minItems: 1,
        maxItems: PAYMENT_METHOD_TYPES.length,
        uniqueItems: true,
        error: `must be a non-empty list of distinct payment method types (${PAYMENT_METHOD_TYPES.join(", ")})`,
        description: "The payment method's type (from its token: `pm_card_…` is `card`) is one of these.",
      }),
    ),
  },
  { additionalProperties: false, description: "Every condition given must hold; a rule without conditions matches every payment." },
);

export const SplitEntry = Type.Object(
  {
    connector: Connector,
    percent: Type.Integer({ minimum: 0, maximum: 100, error: "must be an integer from 0 to 100", description: "Share of the payments, in percent." }),
  },
  { additionalProperties: false },
);

export const RoutingRule = Type.Object(
  {
    conditions: Type.Optional(RuleConditions),
    connectors: Type.Optional(
      Type.Array(Connector, {
        minItems: 1,
        maxItems: CONNECTORS.length,
        uniqueItems: true,
        error: `must be a non-empty list of distinct connectors (${CONNECTORS.join(", ")})`,
        description: "The connectors to try, in order: the first, then the next when one cannot take the payment.",
      }),
    ),
    split: Type.Optional(
      Type.Array(SplitEntry, {
        minItems: 1,
        maxItems: CONNECTORS.length,
        error: "must be a non-empty list of { connector, percent } with distinct connectors and percents summing to 100",
        description:
          "A volume split: each payment goes first to one connector, picked by a stable hash of its id (the same payment always " +
          "picks the same one), then to the split's other connectors in the order listed. Distinct connectors; percents sum to 100.",
      }),
    ),
  },
  {
    additionalProperties: false,
    // Not checked by TypeBox (ruleProblem is), but it tells the document's readers and generators the rule's shape.
    oneOf: [{ required: ["connectors"] }, { required: ["split"] }],
    description: "Exactly one of `connectors` (an ordered list) or `split` (percentages).",
  },
);
export type RoutingRule = Static<typeof RoutingRule>;

export const RoutingRules = Type.Array(RoutingRule, {
  maxItems: MAX_RULES,
  error: `must be a list of at most ${MAX_RULES} rules`,
  description: `At most ${MAX_RULES}, in order: the first rule whose conditions all match a payment decides its connectors; none matching, the platform's default.`,
});

/** A merchant's routing as the platform keeps it. */
export type Routing = { rules: RoutingRule[]; failoverSoftDeclines: boolean };

/** What is wrong and where (`rules.2.split`); never the value. */
export type Problem = { readonly param: string; readonly message: string };

/** The checks a schema cannot express, on rules that passed the schema. */
export function ruleProblem(rules: readonly RoutingRule[], prefix = "rules"): Problem | null {
  for (const [i, rule] of rules.entries()) {
    const at = `${prefix}.${i}`;
    if ((rule.connectors === undefined) === (rule.split === undefined)) {
      return { param: at, message: "must have exactly one of connectors (an ordered list) or split (percentages)" };
    }
    if (rule.split !== undefined) {
      if (new Set(rule.split.map((s) => s.connector)).size !== rule.split.length) return { param: `${at}.split`, message: "connectors must be distinct" };
      if (rule.split.reduce((sum, s) => sum + s.percent, 0) !== 100) return { param: `${at}.split`, message: "percents must sum to 100" };
    }
    const c = rule.conditions;
    if (c?.amount_min !== undefined && c.amount_max !== undefined && c.amount_min > c.amount_max) {
      return { param: `${at}.conditions.amount_min`, message: "must not exceed amount_max" };
    }
  }
  return null;
}

/** A TypeBox error as a problem: its path in dots, the schema's own message when it has one. */
export function problemOf(e: ValueError, prefix: string): Problem {
  const segments = e.path
    .split("/")
    .filter(Boolean)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  const param = [prefix, ...segments].join(".");
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return { param, message: "unknown field" };
  const custom = (e.schema as { error?: unknown }).error;
  return { param, message: typeof custom === "string" ? custom : e.message.replace(/^Expected/, "expected") };
}

/** Schema, then the rest: the rules as given, or the first problem. */
export function checkRules(value: unknown, prefix = "rules"): { ok: true; rules: RoutingRule[] } | { ok: false; problem: Problem } {
  const first = Value.Errors(RoutingRules, value).First();
  if (first) return { ok: false, problem: problemOf(first, prefix) };
  const rules = value as RoutingRule[];
  const problem = ruleProblem(rules, prefix);
  return problem ? { ok: false, problem } : { ok: true, rules };
}

export type { ConnectorName };
