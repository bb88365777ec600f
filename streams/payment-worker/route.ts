/**
 * Which connector a pending payment goes to, and where it may go next.
 *
 * A payment is assigned to a connector before the first request goes out (attempts.ts), so
 * a redelivery after a crash, whatever the routing or the circuit breakers say by then,
 * asks the connector that may hold the charge, and nothing else. A fresh assignment (made
 * by this delivery, so no request has reached that connector yet) picks the first connector
 * of the payment's route whose circuit is closed. A failover, to the next connector of the
 * route, is allowed only from a connector this delivery assigned and that is known not to
 * have processed the payment (outcome.ts `failover`), or that soft-declined it when the
 * merchant allows; any earlier attempt there may have charged, and only it can tell. A
 * delivery that takes an attempt up again records it (resumeAttempt), so a concurrent
 * delivery still at that attempt (a rebalance) can no longer fail over from it.
 */
import { assignConnector, failOver as moveTo, resumeAttempt, type AttemptReason } from "../../shared/payments/attempts.ts";
import type { Sql, TransactionSql } from "../../shared/db/client.ts";
import { routeFor as decideRoute } from "../../shared/routing/decide.ts";
import type { Routing } from "../../shared/routing/model.ts";
import { loadRouting } from "../../shared/routing/store.ts";
import type { Connector, ConnectorName } from "../../shared/connectors/types.ts";
import { FatalError, RetryableError, type TransactionGroup } from "../engine/index.ts";
import type { PaymentRow } from "./payment-row.ts";

/** A payment's connectors in the order to try them, and why the first is first. */
export type Route = { readonly connectors: readonly ConnectorName[]; readonly reason: "route" | "split"; readonly failoverSoftDeclines: boolean };
export type RouteFor = (row: PaymentRow) => Promise<Route>;

/** Per-connector circuit breakers: `allow` false while a connector's circuit is open. */
export interface Health {
  allow(connector: string): boolean;
  record(connector: string, result: "ok" | "outage"): void;
}

export type At = {
  readonly connector: Connector;
  /** The payment's route, for the next connector. */
  readonly route: Route;
  /** Assigned by this delivery: no earlier request reached this connector for the payment. */
  readonly fresh: boolean;
  /** Why the payment is there, for the audit documents. */
  readonly reason: AttemptReason | "resumed";
};

export function createRouter(deps: {
  sql: Sql;
  /** Where fresh assignments are written (the worker's group of short transactions). */
  writes: TransactionGroup<TransactionSql>;
  connectors: Readonly<Partial<Record<string, Connector>>>;
  routeFor: RouteFor;
  health: Health;
}) {
  const configured = (name: string) => deps.connectors[name];

  /** The connector that holds the payment, or the one it is assigned to now. */
  async function connectorFor(row: PaymentRow): Promise<At> {
    const route = await deps.routeFor(row);
    if (row.connector !== null) {
      const held = configured(row.connector);
      if (!held) throw new FatalError(`payment ${row.id} is held at ${row.connector}, which this worker has no settings for`);
      return resumed(row, held, route);
    }
    const usable = route.connectors.filter((c) => configured(c) !== undefined);
    if (usable.length === 0) throw new FatalError(`payment ${row.id}: no connector of its route (${route.connectors.join(", ")}) is configured`);
    const pick = usable.find((c) => deps.health.allow(c));
    // Every circuit open: nothing is sent, nothing assigned; the retry tiers come back later.
    if (pick === undefined) throw new RetryableError(`every connector of the route is unavailable (${usable.join(", ")}): circuits open`);
    const reason: AttemptReason = pick === route.connectors[0] ? route.reason : "fallback";
    const assigned = await deps.writes.run((tx) => assignConnector(tx, row.id, pick, reason));
    const connector = configured(assigned.connector);
    if (!connector) throw new FatalError(`payment ${row.id} is held at ${assigned.connector}, which this worker has no settings for`);
    return assigned.fresh ? { connector, route, fresh: true, reason } : resumed(row, connector, route);
  }

  /** Takes up the attempt an earlier delivery started (which rules out that delivery's failover). */
  async function resumed(row: PaymentRow, connector: Connector, route: Route): Promise<At> {
    if (!(await resumeAttempt(deps.sql, row.id, connector.name))) throw new RetryableError(`payment ${row.id} left ${connector.name} meanwhile`);
    return { connector, route, fresh: false, reason: "resumed" };
  }

  /**
   * The next connector of the route after `at`, the payment moved there; undefined when
   * there is none to go to, or when another delivery moved the payment first.
   */
  async function failOver(row: PaymentRow, at: At, why: string): Promise<At | undefined> {
    const here = at.route.connectors.indexOf(at.connector.name);
    if (here < 0) return undefined; // held at a connector its route no longer names
    const after = at.route.connectors.slice(here + 1);
    const to = after.find((c) => configured(c) !== undefined && deps.health.allow(c));
    if (to === undefined) return undefined;
    if (!(await moveTo(deps.sql, { paymentId: row.id, from: at.connector.name, to, why }))) return undefined;
    return { connector: configured(to)!, route: at.route, fresh: true, reason: "failover" };
  }

  return { connectorFor, failOver };
}

/**
 * The merchants' routing rules (shared/routing), each merchant's read at most every `ttlMs`
 * (a rule change reaches the workers within that); `defaults` when no rule matches.
 */
export function rulesRouteFor(deps: { sql: Sql; defaults: readonly ConnectorName[]; ttlMs: number; now?: () => number }): RouteFor {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { at: number; routing: Promise<Routing> }>();
  const routingOf = (merchantId: string): Promise<Routing> => {
    const hit = cache.get(merchantId);
    if (hit && now() - hit.at < deps.ttlMs) return hit.routing;
    const routing = loadRouting(deps.sql, merchantId);
    cache.set(merchantId, { at: now(), routing });
    routing.catch(() => cache.delete(merchantId)); // a failed read is not remembered
    return routing;
  };
  return async (row) => {
    const routing = await routingOf(row.merchant_id);
    const r = decideRoute(routing.rules, { id: row.id, amount: row.amount, currency: row.currency, paymentMethod: row.payment_method }, deps.defaults);
    return { connectors: r.order, reason: r.reason === "split" ? "split" : "route", failoverSoftDeclines: routing.failoverSoftDeclines };
  };
}
