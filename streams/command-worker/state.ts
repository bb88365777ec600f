/**
 * What the command worker reads before it acts: the command, its payment's state,
 * connector and ref there, and the refund it carries out (if any), in one query. Every write is in
 * shared/payments.
 */
import type { Sql } from "../../shared/db/client.ts";
import type { PaymentCommand, PaymentStatus } from "../../shared/events.ts";
import type { Charge } from "../../shared/connectors/types.ts";

export type CommandState = {
  id: string;
  payment_id: string;
  merchant_id: string;
  kind: PaymentCommand["kind"];
  amount: number | null;
  refund_id: string | null;
  state: "pending" | "succeeded" | "failed";
  last_error: string | null;
  created_at: Date;
  payment_status: PaymentStatus;
  payment_amount: number;
  currency: string;
  payment_method: string;
  capture_method: "automatic" | "manual";
  /** The connector that holds the payment (null: before connectors were recorded, Stripe). */
  connector: string | null;
  gateway_intent_id: string | null;
  /** An asynchronous command the gateway received: its reference there; the outcome comes by webhook. */
  gateway_ref: string | null;
  refund_status: "pending" | "succeeded" | "failed" | null;
  gateway_refund_id: string | null;
};

export async function loadCommandState(sql: Sql, commandId: string): Promise<CommandState | undefined> {
  const [row] = await sql<CommandState[]>`
    SELECT c.id, c.payment_id, c.merchant_id, c.kind, c.amount, c.refund_id, c.state, coalesce(c.last_error, r.last_error) AS last_error, c.created_at,
           p.status AS payment_status, p.amount AS payment_amount, p.currency, p.payment_method, p.capture_method, p.connector, p.gateway_intent_id, c.gateway_ref,
           r.status AS refund_status, r.gateway_refund_id
      FROM payment_commands c
      JOIN payments p ON p.id = c.payment_id
      LEFT JOIN refunds r ON r.id = c.refund_id
     WHERE c.id = ${commandId}`;
  return row;
}

/** The payment the command acts on, as a connector's look-up names it. */
export const chargeOfCommand = (s: CommandState): Charge => ({
  paymentId: s.payment_id,
  merchantId: s.merchant_id,
  amount: s.payment_amount,
  currency: s.currency,
  paymentMethod: s.payment_method,
  captureMethod: s.capture_method,
});
