/**
 * Test helpers for reconciliation: a stand-in for the payments table that answers the two
 * queries platform.ts makes (by creation time, by id), so run.ts and the CLI are tested
 * without a database. Rows are the table's columns. And one gateway record (a captured Stripe
 * intent of 2000 USD for pay_1), for the tests to vary.
 */
import type { Sql } from "../db/client.ts";
import type { GatewayRecord } from "./model.ts";
import type { PaymentRow } from "./platform.ts";

export type { PaymentRow };

export const gatewayRecord = (over: Partial<GatewayRecord> = {}): GatewayRecord => ({
  connector: "stripe",
  ref: "pi_1",
  paymentId: "pay_1",
  currency: "USD",
  authorized: 2000,
  captured: 2000,
  refunded: 0,
  status: "captured",
  detail: "succeeded",
  createdAt: new Date("2024-05-03T12:00:00Z"),
  refunds: [],
  ...over,
});

export const paymentRow = (over: Partial<PaymentRow> = {}): PaymentRow => ({
  id: "pay_1",
  connector: "stripe",
  status: "APPROVED",
  amount: 2000,
  currency: "USD",
  amount_captured: 2000,
  amount_refunded: 0,
  amount_refund_reserved: 0,
  gateway_intent_id: "pi_1",
  created_at: new Date("2024-05-03T12:00:00Z"),
  ...over,
});

export function fakePaymentsTable(rows: readonly PaymentRow[]): { sql: Sql; queries: string[] } {
  const queries: string[] = [];
  const sql = (strings: TemplateStringsArray, ...values: unknown[]) => {
    const text = strings.join("$");
    queries.push(text.replace(/\s+/g, " ").trim());
    if (text.includes("created_at >=")) {
      const [from, to] = (values as string[]).map((v) => new Date(v));
      return Promise.resolve(rows.filter((r) => r.created_at >= from! && r.created_at < to!));
    }
    if (text.includes("ANY(")) {
      const ids = values[0] as string[];
      return Promise.resolve(rows.filter((r) => ids.includes(r.id)));
    }
    return Promise.reject(new Error(`the fake payments table does not answer: ${text}`));
  };
  return { sql: sql as unknown as Sql, queries };
}
