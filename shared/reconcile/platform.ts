/**
 * The platform's side of a reconciliation: payments as the payments table holds them
 * (migrations 0001, 0012, 0014, 0015). Pending refunds are what is reserved and not yet
 * succeeded (amount_refund_reserved − amount_refunded), so the refunds table is not read.
 *
 * The day's payments are found by created_at, which no index serves: a daily job scans the
 * table once. An index on payments (created_at) would make it a range read.
 */
import type { Sql } from "../db/client.ts";
import type { PlatformPayment, Window } from "./model.ts";

/** A payments row as the reconciliation reads it (testing.ts builds fake ones). */
export type PaymentRow = {
  id: string;
  connector: PlatformPayment["connector"];
  status: PlatformPayment["status"];
  amount: number;
  currency: string;
  amount_captured: number;
  amount_refunded: number;
  amount_refund_reserved: number;
  gateway_intent_id: string | null;
  created_at: Date;
};

const toPayment = (r: PaymentRow): PlatformPayment => ({
  id: r.id,
  connector: r.connector,
  status: r.status,
  amount: r.amount,
  currency: r.currency.trim().toUpperCase(),
  captured: r.amount_captured,
  refunded: r.amount_refunded,
  pendingRefunds: r.amount_refund_reserved - r.amount_refunded,
  gatewayRef: r.gateway_intent_id,
  createdAt: r.created_at,
});

export async function paymentsCreatedIn(sql: Sql, w: Window): Promise<PlatformPayment[]> {
  const rows = await sql<PaymentRow[]>`
    SELECT id, connector, status, amount, currency, amount_captured, amount_refunded, amount_refund_reserved, gateway_intent_id, created_at
      FROM payments
     WHERE created_at >= ${w.from.toISOString()} AND created_at < ${w.to.toISOString()}
     ORDER BY id`;
  return rows.map(toPayment);
}

/** The payments of these ids, whichever day they were created (the ids a gateway names). */
export async function paymentsById(sql: Sql, ids: readonly string[]): Promise<PlatformPayment[]> {
  if (ids.length === 0) return [];
  const rows = await sql<PaymentRow[]>`
    SELECT id, connector, status, amount, currency, amount_captured, amount_refunded, amount_refund_reserved, gateway_intent_id, created_at
      FROM payments WHERE id = ANY(${ids as string[]}::text[])`;
  return rows.map(toPayment);
}
