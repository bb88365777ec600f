/**
 * Which connectors a payment goes to, in order: pure, no I/O, the same answer for the same
 * payment every time (a redelivery must ask the connector the first delivery asked).
 *
 * The first rule whose conditions all match decides. A `connectors` rule gives its list; a
 * `split` rule picks its first connector by the payment id's bucket and lists the split's
 * others after it, for failover. No rule matching: the platform's defaults.
 */
import { createHash } from "node:crypto";
import type { ConnectorName } from "../connectors/types.ts";
import { paymentMethodType, type RoutingRule } from "./model.ts";

export type RoutedPayment = { readonly id: string; readonly amount: number; readonly currency: string; readonly paymentMethod: string };

export type Route = {
  readonly order: ConnectorName[];
  readonly reason: "route" | "split" | "default";
  /** The deciding rule's position; null for the defaults. */
  readonly rule: number | null;
};

/**
 * The payment's bucket in [0, 100): the first 8 hex digits of sha256(id) as an unsigned
 * 32-bit number, mod 100. Never random: the bucket is a property of the id. (2^32 mod 100
 * leaves a bias below 1e-7 per bucket.)
 */
export function splitBucket(id: string): number {
  return createHash("sha256").update(id, "utf8").digest().readUInt32BE(0) % 100;
}

export function matches(conditions: RoutingRule["conditions"], p: RoutedPayment): boolean {
  if (!conditions) return true;
  if (conditions.currencies && !(conditions.currencies as readonly string[]).includes(p.currency)) return false;
  if (conditions.amount_min !== undefined && p.amount < conditions.amount_min) return false;
  if (conditions.amount_max !== undefined && p.amount > conditions.amount_max) return false;
  if (conditions.payment_method_types) {
    const type = paymentMethodType(p.paymentMethod);
    if (type === null || !conditions.payment_method_types.includes(type)) return false;
  }
  return true;
}

/** The split's connector for `bucket` (each entry owns `percent` consecutive buckets, in the order listed), then the others. */
function splitOrder(split: NonNullable<RoutingRule["split"]>, bucket: number): ConnectorName[] {
  let upTo = 0;
  let picked = split.length - 1;
  for (const [i, s] of split.entries()) {
    upTo += s.percent;
    if (bucket < upTo) {
      picked = i;
      break;
    }
  }
  const first = split[picked]!.connector;
  return [first, ...split.map((s) => s.connector).filter((c) => c !== first)];
}

export function routeFor(rules: readonly RoutingRule[], p: RoutedPayment, defaults: readonly ConnectorName[]): Route {
  for (const [i, rule] of rules.entries()) {
    if (!matches(rule.conditions, p)) continue;
    if (rule.split) return { order: splitOrder(rule.split, splitBucket(p.id)), reason: "split", rule: i };
    if (rule.connectors) return { order: [...rule.connectors], reason: "route", rule: i };
  }
  return { order: [...defaults], reason: "default", rule: null };
}
