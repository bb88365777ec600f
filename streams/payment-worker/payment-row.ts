/**
 * The payment as the payment worker charges it: the row, never the message. Every write
 * is a transition in shared/payments/charge.ts.
 */
import type { Sql } from "../../shared/db/client.ts";
import type { PaymentStatus } from "../../shared/events.ts";

/** What the worker charges and how it finds the payment at the gateway. */
export type PaymentRow = {
  id: string;
  merchant_id: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  payment_method: string;
  capture_method: "automatic" | "manual";
  /** The connector the payment is assigned to (route.ts); null until its first attempt. */
  connector: string | null;
  /** Its ref at that connector (a PaymentIntent id, a pspReference), once known. */
  gateway_intent_id: string | null;
  /** 0: the idempotency key is the payment id; n: `<payment id>:k<n>` (see plan.ts). */
  gateway_key_seq: number;
  last_error: string | null;
  created_at: Date;
};

export async function loadPayment(sql: Sql, paymentId: string): Promise<PaymentRow | null> {
  const [row] = await sql<PaymentRow[]>`
    SELECT id, merchant_id, status, amount, currency, payment_method, capture_method, connector, gateway_intent_id, gateway_key_seq, last_error, created_at
      FROM payments WHERE id = ${paymentId}`;
  return row ?? null;
}
