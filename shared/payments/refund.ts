/**
 * Refunds: pending → succeeded | failed. The amount is reserved on the payment when the API
 * accepts the refund (pending + succeeded refunds never exceed what was captured: the
 * guarded UPDATE below under the payment's row lock, and the payments_money CHECK behind
 * it), released if the refund fails, counted as refunded when it succeeds.
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import { CommandRefused, enqueueCommand, finishCommand, loadCommand, lockPayment, newRefundId } from "./commands.ts";
import { emit } from "./emit.ts";
import type { RefundResource } from "./resource.ts";

export type RefundRequest = {
  merchantId: string;
  paymentId: string;
  /** Default: everything not yet refunded (or being refunded). */
  amount?: number;
  reason?: RefundResource["reason"];
  correlationId?: string;
};

export async function acceptRefund(tx: TransactionSql, r: RefundRequest): Promise<{ refundId: string; commandId: string }> {
  const p = await lockPayment(tx, r.paymentId, r.merchantId, "payment_id");
  if (p.status !== "APPROVED") {
    const why =
      p.status === "AUTHORIZED"
        ? "it is authorized but not captured (cancel it instead)"
        : p.status === "PENDING"
          ? "it is still pending"
          : `it is ${p.status.toLowerCase()}`;
    throw new CommandRefused(409, "payment_not_captured", `This payment cannot be refunded: ${why}.`, "payment_id");
  }
  const remaining = p.amount_captured - p.amount_refund_reserved;
  if (remaining <= 0)
    throw new CommandRefused(409, "charge_already_refunded", "This payment has already been refunded in full (counting refunds still pending).", "payment_id");
  const amount = r.amount ?? remaining;
  if (amount > remaining) {
    throw new CommandRefused(
      409,
      "amount_too_large",
      `The refund amount is greater than the ${remaining} not yet refunded (counting refunds still pending).`,
      "amount",
    );
  }
  // The guard repeats what was just checked: the row lock makes it hold, the CHECK backs it.
  const reserved = await tx`
    UPDATE payments SET amount_refund_reserved = amount_refund_reserved + ${amount}, updated_at = now()
     WHERE id = ${p.id} AND status = 'APPROVED' AND amount_refund_reserved + ${amount} <= amount_captured RETURNING id`;
  if (reserved.length === 0) throw new CommandRefused(409, "amount_too_large", "The refund no longer fits what is left to refund.", "amount");
  const refundId = newRefundId();
  const now = new Date().toISOString();
  await tx`
    INSERT INTO refunds (id, payment_id, merchant_id, amount, currency, reason, status, created_at, updated_at)
    VALUES (${refundId}, ${p.id}, ${p.merchant_id}, ${amount}, ${p.currency}, ${r.reason ?? null}, 'pending', ${now}, ${now})`;
  const commandId = await enqueueCommand(tx, {
    kind: "refund",
    paymentId: p.id,
    merchantId: p.merchant_id,
    amount,
    refundId,
    ...(r.correlationId ? { correlationId: r.correlationId } : {}),
  });
  return { refundId, commandId };
}

/** Remembers the gateway's id for a refund still pending there, so the next attempt retrieves it. */
export async function recordGatewayRefund(sql: Sql, refundId: string, gatewayRefundId: string, error: string | null): Promise<void> {
  await sql`
    UPDATE refunds SET gateway_refund_id = coalesce(gateway_refund_id, ${gatewayRefundId}), last_error = ${error?.slice(0, 500) ?? null}, updated_at = now()
     WHERE id = ${refundId} AND status = 'pending'`;
}

/** Settles a pending refund: succeeded (counted as refunded) or failed (its reservation released). */
export async function settleRefund(
  sql: Sql,
  s: { commandId: string; outcome: "succeeded" | "failed"; gatewayRefundId: string | null; failureReason?: string; correlationId?: string },
): Promise<boolean> {
  return sql.begin(async (tx) => {
    const cmd = await loadCommand(tx as TransactionSql, s.commandId);
    if (cmd?.state !== "pending" || cmd.refund_id === null) return false;
    const [refund] = await tx<{ amount: number }[]>`
      UPDATE refunds SET status = ${s.outcome}, gateway_refund_id = coalesce(${s.gatewayRefundId}, gateway_refund_id),
             failure_reason = ${s.outcome === "failed" ? (s.failureReason ?? "refused by the gateway") : null}, decided_at = now(), updated_at = now()
       WHERE id = ${cmd.refund_id} AND status = 'pending' RETURNING amount`;
    await finishCommand(
      tx as TransactionSql,
      cmd.id,
      s.outcome === "succeeded" ? "succeeded" : "failed",
      s.outcome === "failed" ? (s.failureReason ?? "refused by the gateway") : null,
    );
    if (!refund) return false;
    const [p] = await tx<{ merchant_id: string; status: "APPROVED"; gateway_ref: string | null }[]>`
      UPDATE payments
         SET amount_refunded = amount_refunded + ${s.outcome === "succeeded" ? refund.amount : 0},
             amount_refund_reserved = amount_refund_reserved - ${s.outcome === "failed" ? refund.amount : 0}, updated_at = now()
       WHERE id = ${cmd.payment_id} RETURNING merchant_id, status, gateway_ref`;
    await emit(tx as TransactionSql, {
      result: {
        v: 1,
        paymentId: cmd.payment_id,
        merchantId: p!.merchant_id,
        status: p!.status,
        kind: s.outcome === "succeeded" ? "refund_succeeded" : "refund_failed",
        amount: refund.amount,
        refundId: cmd.refund_id,
        gatewayRef: s.gatewayRefundId ?? p!.gateway_ref ?? "none",
        decidedAt: new Date().toISOString(),
      },
      event: s.outcome === "succeeded" ? "refund.succeeded" : "refund.failed",
      refundId: cmd.refund_id,
      ...(s.correlationId ? { correlationId: s.correlationId } : {}),
    });
    return true;
  });
}
