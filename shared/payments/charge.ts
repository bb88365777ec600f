/**
 * The charge's transitions (the payment worker): PENDING → APPROVED | DENIED for an
 * automatic payment, PENDING → AUTHORIZED | DENIED for a manual one, each once under the
 * `status = 'PENDING'` guard, with its PaymentResult and merchant event in the same
 * transaction; and the bookkeeping of a payment that is still pending.
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import type { PaymentResult } from "../events.ts";
import type { EventType } from "../merchant-events/catalogue.ts";
import { emit } from "./emit.ts";

export type ChargeOutcome =
  | { readonly kind: "approved"; readonly gatewayRef: string }
  | { readonly kind: "authorized"; readonly gatewayRef: string }
  | { readonly kind: "denied"; readonly gatewayRef: string; readonly declineCode: string };

const STATUS = { approved: "APPROVED", authorized: "AUTHORIZED", denied: "DENIED" } as const;
const EVENT: Record<ChargeOutcome["kind"], EventType> = { approved: "payment.approved", authorized: "payment.authorized", denied: "payment.denied" };

export type Settlement = { paymentId: string; outcome: ChargeOutcome; connector: string; intentId: string | null; correlationId?: string; decidedAt?: Date };

/**
 * Returns true when this call decided the payment (false: it was already decided, or it is
 * held at another connector than the one that answered).
 */
export function settleCharge(sql: Sql, p: Settlement): Promise<boolean> {
  return sql.begin((tx) => settleChargeIn(tx as TransactionSql, p));
}

/**
 * settleCharge in the caller's transaction (the payment worker commits its decisions in
 * groups). Three statements: the guarded UPDATE with the attempt's end, the resource read,
 * the event with its outbox rows.
 */
export async function settleChargeIn(tx: TransactionSql, p: Settlement): Promise<boolean> {
  const status = STATUS[p.outcome.kind];
  const outcome = status.toLowerCase();
  const decidedAt = (p.decidedAt ?? new Date()).toISOString();
  const declineCode = p.outcome.kind === "denied" ? p.outcome.declineCode : null;
  // The attempt that decided ends with the outcome; one is recorded if it never was (a
  // payment from before attempts were recorded). Both only when the UPDATE decided.
  const [row] = await tx<{ merchant_id: string }[]>`
    WITH decided AS (
      UPDATE payments
         SET status = ${status}, decline_code = ${declineCode}, gateway_ref = ${p.outcome.gatewayRef},
             gateway_intent_id = coalesce(${p.intentId}, gateway_intent_id), connector = coalesce(connector, ${p.connector}),
             amount_captured = CASE WHEN ${status} = 'APPROVED' THEN amount ELSE 0 END,
             decided_at = ${decidedAt}, updated_at = ${decidedAt}, last_error = NULL
       WHERE id = ${p.paymentId} AND status = 'PENDING' AND (connector IS NULL OR connector = ${p.connector})
     RETURNING id, merchant_id
    ), finished AS (
      UPDATE payment_attempts SET outcome = ${outcome}, finished_at = now()
       WHERE payment_id = (SELECT id FROM decided) AND finished_at IS NULL
         AND seq = (SELECT max(seq) FROM payment_attempts WHERE payment_id = ${p.paymentId})
      RETURNING seq
    ), recorded AS (
      INSERT INTO payment_attempts (payment_id, seq, connector, reason, outcome, finished_at)
      SELECT id, 1, ${p.connector}, 'route', ${outcome}, now() FROM decided WHERE NOT EXISTS (SELECT 1 FROM finished)
      ON CONFLICT DO NOTHING
    )
    SELECT merchant_id FROM decided`;
  if (!row) return false;
  const result: PaymentResult = {
    v: 1,
    paymentId: p.paymentId,
    merchantId: row.merchant_id,
    status,
    kind: "decided",
    ...(declineCode ? { declineCode } : {}),
    gatewayRef: p.outcome.gatewayRef,
    decidedAt,
  };
  await emit(tx, { result, event: EVENT[p.outcome.kind], ...(p.correlationId ? { correlationId: p.correlationId } : {}) });
  return true;
}

/** Makes the latest failure visible on a still-pending payment (GET /v1/payments/{id} shows it). */
export async function recordFailure(sql: Sql | TransactionSql, paymentId: string, error: string, intentId: string | null): Promise<void> {
  await (sql as Sql)`
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
