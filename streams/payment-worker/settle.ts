/**
 * The payment worker's SQL. The final status and its PaymentResult outbox row
 * are written by ONE statement (so one transaction), guarded by
 * `status = 'PENDING'`: a redelivered message changes nothing and emits nothing.
 */
import type { Sql } from "../../shared/db/client.ts";
import type { PaymentResult } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";

export type PaymentState = { status: "PENDING" | "APPROVED" | "DENIED" } | null;

export async function paymentState(sql: Sql, paymentId: string): Promise<PaymentState> {
  const [row] = await sql<{ status: "PENDING" | "APPROVED" | "DENIED" }[]>`SELECT status FROM payments WHERE id = ${paymentId}`;
  return row ?? null;
}

/** Returns true when this call decided the payment (false: it was already final). */
export async function settle(sql: Sql, result: PaymentResult, correlationId: string | undefined): Promise<boolean> {
  const headers = correlationId ? { [Headers.correlationId]: correlationId } : {};
  const rows = await sql`
    WITH decided AS (
      UPDATE payments
         SET status = ${result.status}, decline_code = ${result.declineCode ?? null}, gateway_ref = ${result.gatewayRef},
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
export async function recordFailure(sql: Sql, paymentId: string, error: string): Promise<void> {
  await sql`UPDATE payments SET last_error = ${error.slice(0, 500)}, updated_at = now() WHERE id = ${paymentId} AND status = 'PENDING'`;
}
