/**
 * The payment worker's SQL. The final status and its PaymentResult outbox row are written
 * by ONE statement (so one transaction), guarded by `status = 'PENDING'`: a redelivered
 * message changes nothing and emits nothing. The gateway's intent id is written with
 * whatever the worker records first (a failure or the settle), so the next attempt can
 * ask for that intent instead of creating one.
 */
import type { Sql } from "../../shared/db/client.ts";
import type { PaymentResult, PaymentStatus } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";

/** What the worker charges and how it finds the payment at the gateway: the row, never the message. */
export type PaymentRow = {
  id: string;
  merchant_id: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  payment_method: string;
  gateway_intent_id: string | null;
  /** 0: the idempotency key is the payment id; n: `<payment id>:k<n>` (see plan.ts). */
  gateway_key_seq: number;
  last_error: string | null;
  created_at: Date;
};

export async function loadPayment(sql: Sql, paymentId: string): Promise<PaymentRow | null> {
  const [row] = await sql<PaymentRow[]>`
    SELECT id, merchant_id, status, amount, currency, payment_method, gateway_intent_id, gateway_key_seq, last_error, created_at
      FROM payments WHERE id = ${paymentId}`;
  return row ?? null;
}

/** Returns true when this call decided the payment (false: it was already final). */
export async function settle(sql: Sql, result: PaymentResult, intentId: string | null, correlationId: string | undefined): Promise<boolean> {
  const headers = correlationId ? { [Headers.correlationId]: correlationId } : {};
  const rows = await sql`
    WITH decided AS (
      UPDATE payments
         SET status = ${result.status}, decline_code = ${result.declineCode ?? null}, gateway_ref = ${result.gatewayRef},
             gateway_intent_id = coalesce(${intentId}, gateway_intent_id),
             decided_at = ${result.decidedAt}, updated_at = ${result.decidedAt}, last_error = NULL
       WHERE id = ${result.paymentId} AND status = 'PENDING'
   RETURNING id
    )
    INSERT INTO outbox (topic, key, payload, headers)
    SELECT ${Topics.paymentsResults}, id, ${sql.json(result)}, ${sql.json(headers)} FROM decided
    RETURNING id`;
  return rows.length > 0;
}

/** Makes the latest failure visible on a still-pending payment (GET /v1/payments/{id} shows it). */
export async function recordFailure(sql: Sql, paymentId: string, error: string, intentId: string | null): Promise<void> {
  await sql`
    UPDATE payments SET last_error = ${error.slice(0, 500)}, gateway_intent_id = coalesce(${intentId}, gateway_intent_id), updated_at = now()
     WHERE id = ${paymentId} AND status = 'PENDING'`;
}

/**
 * Moves a pending payment to its next idempotency key, once the gateway holds no intent for
 * it and keeps replaying a stored error under the current one. Guarded by the key it
 * replaces, so two deliveries racing mint one key.
 */
export async function nextIdempotencyKey(sql: Sql, paymentId: string, fromSeq: number, error: string): Promise<void> {
  await sql`
    UPDATE payments SET gateway_key_seq = gateway_key_seq + 1, last_error = ${error.slice(0, 500)}, updated_at = now()
     WHERE id = ${paymentId} AND status = 'PENDING' AND gateway_key_seq = ${fromSeq} AND gateway_intent_id IS NULL`;
}
