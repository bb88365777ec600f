/**
 * Capture, cancel and refund: accepted by the API, carried out by the command worker.
 *
 * Accepting (API, inside the request's transaction): lock the payment row, check the state
 * allows the command (a refusal names why), reserve what the command will take (a refund
 * reserves its amount), and write the command row plus its PaymentCommand outbox record
 * (topic payments.commands, key = payment id, so one payment's commands run in order).
 * Carrying out (worker): the state is checked again, the gateway is asked (idempotency key =
 * the command id), and the outcome is one guarded transition with its events (capture.ts,
 * cancel.ts, refund.ts).
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import type { PaymentCommand } from "../events.ts";
import { uuidv7Hex } from "../merchant-events/ids.ts";
import { Headers, Topics } from "../topics.ts";
import type { PaymentRow } from "./resource.ts";

export const newCommandId = (): string => `cmd_${uuidv7Hex()}`;
export const newRefundId = (): string => `re_${uuidv7Hex()}`;

/** Why a command cannot be accepted now: `status` 404, 409 or 400, with a precise `code`. */
export class CommandRefused extends Error {
  override name = "CommandRefused";
  readonly status: 400 | 404 | 409;
  readonly code: string;
  readonly param: string | undefined;
  constructor(status: 400 | 404 | 409, code: string, message: string, param?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

export type CommandRow = {
  id: string;
  payment_id: string;
  merchant_id: string;
  kind: PaymentCommand["kind"];
  amount: number | null;
  refund_id: string | null;
  requested_by: "merchant" | "expiry";
  state: "pending" | "succeeded" | "failed";
  last_error: string | null;
};

type LockedPayment = PaymentRow & { gateway_intent_id: string | null; amount_refund_reserved: number; settling: string | null };

/**
 * The payment, locked for this transaction, with the capture or cancel in flight (if any).
 * The in-flight command is read by a statement of its own after the lock is held: a
 * subquery in the locking statement would see the snapshot from before the lock wait, and
 * miss a command a concurrent request committed meanwhile.
 */
export async function lockPayment(tx: TransactionSql, paymentId: string, merchantId: string | null, param = "id"): Promise<LockedPayment> {
  const [row] = await tx<LockedPayment[]>`
    SELECT p.*, NULL::text AS settling FROM payments p
     WHERE p.id = ${paymentId} AND (${merchantId}::text IS NULL OR p.merchant_id = ${merchantId})
       FOR UPDATE`;
  if (!row) throw new CommandRefused(404, "resource_missing", "No such payment.", param);
  const [cmd] = await tx<{ kind: string }[]>`
    SELECT kind FROM payment_commands WHERE payment_id = ${paymentId} AND state = 'pending' AND kind IN ('capture', 'cancel')`;
  return { ...row, settling: cmd?.kind ?? null };
}

/** Writes the command and its record for the command worker; returns the command id. */
export async function enqueueCommand(
  tx: TransactionSql,
  c: {
    id?: string;
    kind: PaymentCommand["kind"];
    paymentId: string;
    merchantId: string;
    amount?: number;
    refundId?: string;
    requestedBy?: CommandRow["requested_by"];
    correlationId?: string;
  },
): Promise<string> {
  const id = c.id ?? newCommandId();
  await tx`
    INSERT INTO payment_commands (id, payment_id, merchant_id, kind, amount, refund_id, requested_by)
    VALUES (${id}, ${c.paymentId}, ${c.merchantId}, ${c.kind}, ${c.amount ?? null}, ${c.refundId ?? null}, ${c.requestedBy ?? "merchant"})`;
  await publishCommand(
    tx,
    { id, kind: c.kind, paymentId: c.paymentId, merchantId: c.merchantId, amount: c.amount ?? null, refundId: c.refundId ?? null },
    c.correlationId ? { [Headers.correlationId]: c.correlationId } : {},
  );
  return id;
}

/** The command's record for the command worker, in the outbox (on acceptance, and again by the status sync). */
export async function publishCommand(
  tx: TransactionSql,
  c: { id: string; kind: PaymentCommand["kind"]; paymentId: string; merchantId: string; amount: number | null; refundId: string | null },
  headers: Record<string, string>,
): Promise<void> {
  const record: PaymentCommand = {
    v: 1,
    commandId: c.id,
    kind: c.kind,
    paymentId: c.paymentId,
    merchantId: c.merchantId,
    ...(c.amount !== null ? { amount: c.amount } : {}),
    ...(c.refundId ? { refundId: c.refundId } : {}),
    requestedAt: new Date().toISOString(),
  };
  await tx`INSERT INTO outbox (topic, key, payload, headers) VALUES (${Topics.paymentsCommands}, ${c.paymentId}, ${tx.json(record)}, ${tx.json(headers)})`;
}

export async function loadCommand(tx: TransactionSql, id: string): Promise<CommandRow | undefined> {
  const [row] = await tx<CommandRow[]>`
    SELECT id, payment_id, merchant_id, kind, amount, refund_id, requested_by, state, last_error FROM payment_commands WHERE id = ${id} FOR UPDATE`;
  return row;
}

/** The command ends; false when it had ended already (a redelivery). */
export async function finishCommand(tx: TransactionSql, id: string, state: "succeeded" | "failed", error: string | null = null): Promise<boolean> {
  const rows = await tx`
    UPDATE payment_commands SET state = ${state}, last_error = ${error?.slice(0, 500) ?? null}, completed_at = now()
     WHERE id = ${id} AND state = 'pending' RETURNING id`;
  return rows.length > 0;
}

/** A pending command's latest failure (and its refund's): shown to operators, and makes the next attempt look the object up first. */
export async function noteCommandFailure(sql: Sql, c: { id: string; refund_id: string | null }, error: string): Promise<void> {
  const why = error.slice(0, 500);
  await sql.begin(async (tx) => {
    await tx`UPDATE payment_commands SET last_error = ${why} WHERE id = ${c.id} AND state = 'pending'`;
    if (c.refund_id) await tx`UPDATE refunds SET last_error = ${why}, updated_at = now() WHERE id = ${c.refund_id} AND status = 'pending'`;
  });
}

/**
 * The gateway received an asynchronous command (an Adyen modification) under `gatewayRef`:
 * its outcome comes by webhook (webhooks/), so nothing is sent again meanwhile.
 */
export async function awaitGatewayWebhook(sql: Sql, c: { id: string; refund_id: string | null }, gatewayRef: string): Promise<void> {
  const why = "received by the gateway; its outcome comes by webhook";
  await sql.begin(async (tx) => {
    await tx`UPDATE payment_commands SET gateway_ref = coalesce(gateway_ref, ${gatewayRef}), last_error = ${why} WHERE id = ${c.id} AND state = 'pending'`;
    if (c.refund_id)
      await tx`UPDATE refunds SET gateway_refund_id = coalesce(gateway_refund_id, ${gatewayRef}), updated_at = now() WHERE id = ${c.refund_id} AND status = 'pending'`;
  });
}
