/**
 * Capture: AUTHORIZED → APPROVED, taking all or part of the authorization (a partial
 * capture releases the rest). Cancel: AUTHORIZED → CANCELED, by the merchant or when
 * capture_before passes. Accepted by the API (commands.ts), carried out by the command
 * worker; each transition once, under its status guard, with its events.
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import { CommandRefused, enqueueCommand, finishCommand, lockPayment, loadCommand } from "./commands.ts";
import { emit } from "./emit.ts";

type Accepted = { commandId: string };

/** Why a capture or cancel cannot be accepted in this state. */
function refuseSettling(p: Awaited<ReturnType<typeof lockPayment>>, what: "capture" | "cancel"): void {
  if (p.capture_method === "automatic") {
    throw new CommandRefused(
      409,
      "payment_not_manual",
      `This payment is captured automatically; only a payment created with capture_method manual can be ${what === "capture" ? "captured" : "canceled"}.`,
    );
  }
  if (p.settling !== null) throw new CommandRefused(409, "command_in_progress", `A ${p.settling} of this payment is already in progress.`);
  switch (p.status) {
    case "AUTHORIZED":
      return;
    case "PENDING":
      throw new CommandRefused(409, "payment_not_authorized", "This payment is not authorized yet; try again once its status is AUTHORIZED.");
    case "APPROVED":
      throw new CommandRefused(409, "payment_already_captured", "This payment has already been captured.");
    case "CANCELED":
      throw new CommandRefused(409, "payment_canceled", "This payment has been canceled.");
    case "DENIED":
      throw new CommandRefused(409, "payment_denied", `This payment was declined; there is nothing to ${what}.`);
  }
}

export async function acceptCapture(
  tx: TransactionSql,
  c: { merchantId: string; paymentId: string; amount?: number; correlationId?: string },
): Promise<Accepted> {
  const p = await lockPayment(tx, c.paymentId, c.merchantId);
  refuseSettling(p, "capture");
  if (c.amount !== undefined && c.amount > p.amount) {
    throw new CommandRefused(400, "amount_too_large", `The capture amount is greater than the ${p.amount} authorized.`, "amount");
  }
  const commandId = await enqueueCommand(tx, {
    kind: "capture",
    paymentId: p.id,
    merchantId: p.merchant_id,
    amount: c.amount ?? p.amount,
    ...(c.correlationId ? { correlationId: c.correlationId } : {}),
  });
  return { commandId };
}

export async function acceptCancel(tx: TransactionSql, c: { merchantId: string; paymentId: string; correlationId?: string }): Promise<Accepted> {
  const p = await lockPayment(tx, c.paymentId, c.merchantId);
  refuseSettling(p, "cancel");
  const commandId = await enqueueCommand(tx, {
    kind: "cancel",
    paymentId: p.id,
    merchantId: p.merchant_id,
    ...(c.correlationId ? { correlationId: c.correlationId } : {}),
  });
  return { commandId };
}

/** The gateway captured `amount`: the payment is APPROVED with it. False if it was no longer AUTHORIZED. */
export async function completeCapture(sql: Sql, c: { commandId: string; amount: number; correlationId?: string }): Promise<boolean> {
  return sql.begin(async (tx) => {
    const cmd = await loadCommand(tx as TransactionSql, c.commandId);
    if (cmd?.state !== "pending") return false;
    const [row] = await tx<{ merchant_id: string; gateway_ref: string | null }[]>`
      UPDATE payments SET status = 'APPROVED', amount_captured = ${c.amount}, updated_at = now()
       WHERE id = ${cmd.payment_id} AND status = 'AUTHORIZED' AND ${c.amount} <= amount
   RETURNING merchant_id, gateway_ref`;
    await finishCommand(tx as TransactionSql, cmd.id, row ? "succeeded" : "failed", row ? null : "the payment was no longer authorized");
    if (!row) return false;
    await emit(tx as TransactionSql, {
      result: {
        v: 1,
        paymentId: cmd.payment_id,
        merchantId: row.merchant_id,
        status: "APPROVED",
        kind: "captured",
        amount: c.amount,
        gatewayRef: row.gateway_ref ?? "none",
        decidedAt: new Date().toISOString(),
      },
      event: "payment.captured",
      ...(c.correlationId ? { correlationId: c.correlationId } : {}),
    });
    return true;
  });
}

/**
 * The authorization is void (the merchant's cancel, the expiry sweep's, or the gateway's
 * own: it cancels what was never captured). `commandId` null: no command asked for it.
 */
export async function completeCancel(sql: Sql, c: { paymentId: string; commandId: string | null; correlationId?: string }): Promise<boolean> {
  return sql.begin(async (tx) => {
    if (c.commandId !== null) {
      const cmd = await loadCommand(tx as TransactionSql, c.commandId);
      if (cmd?.state !== "pending") return false;
    }
    const [row] = await tx<{ merchant_id: string; gateway_ref: string | null }[]>`
      UPDATE payments SET status = 'CANCELED', updated_at = now() WHERE id = ${c.paymentId} AND status = 'AUTHORIZED' RETURNING merchant_id, gateway_ref`;
    if (c.commandId !== null)
      await finishCommand(tx as TransactionSql, c.commandId, row ? "succeeded" : "failed", row ? null : "the payment was no longer authorized");
    if (!row) return false;
    await emit(tx as TransactionSql, {
      result: {
        v: 1,
        paymentId: c.paymentId,
        merchantId: row.merchant_id,
        status: "CANCELED",
        kind: "canceled",
        gatewayRef: row.gateway_ref ?? "none",
        decidedAt: new Date().toISOString(),
      },
      event: "payment.canceled",
      ...(c.correlationId ? { correlationId: c.correlationId } : {}),
    });
    return true;
  });
}

/**
 * Voids what was held too long: a cancel command (requested_by 'expiry') for each
 * AUTHORIZED payment past its capture_before that has no capture or cancel in flight.
 * SKIP LOCKED, so several sweepers never pick the same payment; returns how many.
 */
export async function expireAuthorizations(sql: Sql, limit = 100): Promise<number> {
  return sql.begin(async (tx) => {
    const due = await tx<{ id: string; merchant_id: string }[]>`
      SELECT p.id, p.merchant_id FROM payments p
       WHERE p.status = 'AUTHORIZED' AND p.capture_before < now()
         AND NOT EXISTS (SELECT 1 FROM payment_commands c WHERE c.payment_id = p.id AND c.state = 'pending' AND c.kind IN ('capture', 'cancel'))
       ORDER BY p.capture_before
       LIMIT ${limit}
         FOR UPDATE OF p SKIP LOCKED`;
    for (const p of due) await enqueueCommand(tx as TransactionSql, { kind: "cancel", paymentId: p.id, merchantId: p.merchant_id, requestedBy: "expiry" });
    return due.length;
  });
}

/** A capture or cancel the gateway refused for a reason that will not change. */
export async function failCommand(sql: Sql, commandId: string, error: string): Promise<void> {
  await sql.begin((tx) => finishCommand(tx as TransactionSql, commandId, "failed", error));
}
