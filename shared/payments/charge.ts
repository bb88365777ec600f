/**
 * The charge's transitions (the payment worker): PENDING → APPROVED | DENIED for an
 * automatic payment, PENDING → AUTHORIZED | DENIED for a manual one, each once under the
 * `status = 'PENDING'` guard, with its PaymentResult and merchant event in the same
 * transaction; and the bookkeeping of a payment that is still pending.
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import type { PaymentResult } from "../events.ts";
import type { EventType } from "../merchant-events/catalogue.ts";
import { finishAttempt } from "./attempts.ts";
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

/** settleCharge in the caller's transaction (the payment worker commits its decisions in groups). */
export async function settleChargeIn(tx: TransactionSql, p: Settlement): Promise<boolean> {
  const status = STATUS[p.outcome.kind];
  const decidedAt = (p.decidedAt ?? new Date()).toISOString();
  const declineCode = p.outcome.kind === "denied" ? p.outcome.declineCode : null;
  const [row] = await tx<{ merchant_id: string; amount: number }[]>`
    UPDATE payments
       SET status = ${status}, decline_code = ${declineCode}, gateway_ref = ${p.outcome.gatewayRef},
           gateway_intent_id = coalesce(${p.intentId}, gateway_intent_id), connector = coalesce(connector, ${p.connector}),
           amount_captured = CASE WHEN ${status} = 'APPROVED' THEN amount ELSE 0 END,
           decided_at = ${decidedAt}, updated_at = ${decidedAt}, last_error = NULL
     WHERE id = ${p.paymentId} AND status = 'PENDING' AND (connector IS NULL OR connector = ${p.connector})
   RETURNING merchant_id, amount`;
  if (!row) return false;
  await finishAttempt(tx, p.paymentId, p.connector, status.toLowerCase());
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
