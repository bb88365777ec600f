/**
 * What an incoming gateway webhook (a GatewayNotice, verified by its connector) does to the
 * platform's state: the same guarded transitions the workers use (charge.ts, capture.ts,
 * refund.ts), so a webhook racing the workers' synchronous answer, arriving twice, late or
 * out of order, changes a payment once and announces it once. A webhook never makes a
 * request; what it cannot place is reported, never guessed:
 * - `unknown_payment`: no payment of ours (reconciliation reports the charge as missing_locally);
 * - `other_connector`: the payment is held at another connector than the one that wrote;
 * - `unknown_command`: a capture, cancel or refund this platform never asked for;
 * - `mismatch`: the gateway holds another amount or currency than the payment;
 * - `contradicts`: a final payment the gateway now says otherwise about.
 * Each of those is logged as an error by the receiver for an operator. One outcome is not
 * final: `deliver_again`, a refund's webhook that overtook the worker's record of which
 * refund the gateway took, while several of the payment's pending refunds could be it
 * (same amount, none named yet). The receiver does not remember it and answers so that the
 * gateway delivers it again; by then the worker has recorded the gateway's refund ids.
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import { decidePayment, decideRefund } from "../connectors/outcome.ts";
import type { GatewayNotice } from "../connectors/types.ts";
import { completeCancel, completeCapture, failCommand } from "./capture.ts";
import { settleCharge } from "./charge.ts";
import { recordGatewayRefund, settleRefund } from "./refund.ts";

export type NoticeOutcome =
  | "settled"
  | "already"
  | "pending"
  | "ignored"
  | "unknown_payment"
  | "unknown_command"
  | "other_connector"
  | "mismatch"
  | "contradicts"
  | "deliver_again";

/** The outcomes an operator must look at. */
export const ANOMALIES: ReadonlySet<NoticeOutcome> = new Set(["unknown_payment", "unknown_command", "other_connector", "mismatch", "contradicts"]);

type PaymentRow = {
  id: string;
  status: string;
  amount: number;
  currency: string;
  capture_method: "automatic" | "manual";
  connector: string | null;
  gateway_intent_id: string | null;
};

async function findPayment(sql: Sql, n: GatewayNotice, ref: string | null): Promise<PaymentRow | undefined> {
  const [row] = n.paymentId
    ? await sql<PaymentRow[]>`SELECT id, status, amount, currency, capture_method, connector, gateway_intent_id FROM payments WHERE id = ${n.paymentId}`
    : ref
      ? await sql<
          PaymentRow[]
        >`SELECT id, status, amount, currency, capture_method, connector, gateway_intent_id FROM payments WHERE connector = ${n.connector} AND gateway_intent_id = ${ref}`
      : [];
  return row;
}

/**
 * The pending command a notice is about: the one it names (our id, or the gateway's
 * reference the worker recorded when the gateway received it), else the payment's capture
 * or cancel in flight (at most one at a time: commands.ts), which covers a webhook that
 * overtakes the answer recording the reference.
 */
async function pendingCommand(
  sql: Sql,
  paymentId: string,
  kinds: string[],
  named: { commandId: string | null; modificationRef: string | null },
): Promise<{ id: string; kind: string } | undefined> {
  const pending = await sql<{ id: string; kind: string; gateway_ref: string | null }[]>`
    SELECT id, kind, gateway_ref FROM payment_commands WHERE payment_id = ${paymentId} AND state = 'pending' AND kind IN ${sql(kinds)} ORDER BY created_at`;
  const exact = pending.find((c) => c.id === named.commandId || (named.modificationRef !== null && c.gateway_ref === named.modificationRef));
  // Not named (yet): one the gateway has not named either; a command it named otherwise is another one.
  return exact ?? pending.find((c) => c.gateway_ref === null || named.modificationRef === null);
}

const NONE = { commandId: null, modificationRef: null };

export async function applyNotice(sql: Sql, n: GatewayNotice): Promise<NoticeOutcome> {
  const a = n.about;
  switch (a.kind) {
    case "ignored":
      return "ignored";
    case "payment":
      return paymentNotice(sql, n, a);
    case "capture":
    case "cancel":
      return commandNotice(sql, n, a);
    case "refund":
      return refundNotice(sql, n, a);
  }
}

async function paymentNotice(sql: Sql, n: GatewayNotice, a: Extract<GatewayNotice["about"], { kind: "payment" }>): Promise<NoticeOutcome> {
  const p = await findPayment(sql, n, a.payment.ref);
  if (!p) return "unknown_payment";
  if (p.connector !== n.connector) return a.payment.status === "succeeded" || a.payment.status === "authorized" ? "other_connector" : "ignored";
  if (a.amount !== p.amount || a.currency !== p.currency) return "mismatch";
  // An automatic payment the gateway captures at authorisation (Adyen): its authorization is its charge.
  const payment =
    a.capturedIfAutomatic && p.capture_method === "automatic" && a.payment.status === "authorized"
      ? { ...a.payment, status: "succeeded" as const, amountCaptured: a.amount }
      : a.payment;
  const moved = payment.status;
  if (p.status === "PENDING") {
    const d = decidePayment(payment, p.capture_method);
    if (d.kind !== "approved" && d.kind !== "authorized" && d.kind !== "denied") return "pending";
    const outcome = d.kind === "denied" ? { kind: d.kind, gatewayRef: d.gatewayRef, declineCode: d.declineCode } : { kind: d.kind, gatewayRef: d.gatewayRef };
    return (await settleCharge(sql, { paymentId: p.id, outcome, connector: n.connector, intentId: payment.ref })) ? "settled" : "already";
  }
  if (p.status === "AUTHORIZED" && moved === "succeeded") {
    // Captured at the gateway: our capture's answer, by webhook.
    const cmd = await pendingCommand(sql, p.id, ["capture"], NONE);
    if (!cmd) return "contradicts";
    return (await completeCapture(sql, { commandId: cmd.id, amount: payment.amountCaptured })) ? "settled" : "already";
  }
  if (p.status === "AUTHORIZED" && moved === "canceled") {
    // Voided: our cancel, or the gateway's own after the hold expired (no command asked for it).
    const cmd = await pendingCommand(sql, p.id, ["cancel", "capture"], NONE);
    const settled = await completeCancel(sql, { paymentId: p.id, commandId: cmd?.kind === "cancel" ? cmd.id : null });
    if (cmd?.kind === "capture") await failCommand(sql, cmd.id, "the authorization was voided at the gateway");
    return settled ? "settled" : "already";
  }
  return consistent(p.status, moved) ? "already" : "contradicts";
}

/** Whether what the gateway says (late, or out of order) agrees with a final payment. */
function consistent(status: string, moved: string): boolean {
  switch (moved) {
    case "succeeded":
      return status === "APPROVED" || status === "REFUNDED";
    case "authorized":
      // A hold reported late, after the capture or cancel it preceded.
      return status === "AUTHORIZED" || status === "APPROVED" || status === "REFUNDED" || status === "CANCELED";
    case "canceled":
      return status === "CANCELED" || status === "DENIED";
    case "declined":
    case "requires_action":
      return status === "DENIED";
    default:
      return true; // processing, other: says nothing final
  }
}

async function commandNotice(sql: Sql, n: GatewayNotice, a: Extract<GatewayNotice["about"], { kind: "capture" | "cancel" }>): Promise<NoticeOutcome> {
  const p = await findPayment(sql, n, a.ref);
  if (!p) return "unknown_payment";
  if (p.connector !== n.connector) return "other_connector";
  const cmd = await pendingCommand(sql, p.id, [a.kind], a);
  if (!cmd) {
    // Settled already (the synchronous answer, an earlier copy), or a command this platform never sent.
    const done = a.kind === "capture" ? p.status === "APPROVED" || p.status === "REFUNDED" : p.status === "CANCELED";
    return !a.success || done ? "already" : "unknown_command";
  }
  if (!a.success) {
    await failCommand(sql, cmd.id, `refused by ${n.connector}: ${a.reason ?? "no reason given"}`);
    return "settled";
  }
  const settled =
    a.kind === "capture"
      ? await completeCapture(sql, { commandId: cmd.id, amount: a.amount ?? p.amount })
      : await completeCancel(sql, { paymentId: p.id, commandId: cmd.id });
  return settled ? "settled" : "already";
}

type RefundRow = { refund_id: string; command_id: string; status: string; amount: number };

/**
 * The refund a notice is about: by our command or refund id, or the gateway's refund id;
 * else, for a webhook that overtakes the answer recording that id, the payment's one pending
 * refund of the same amount the gateway has not named yet ("ambiguous" when there are several).
 */
async function findRefund(sql: Sql, n: GatewayNotice, a: Extract<GatewayNotice["about"], { kind: "refund" }>): Promise<RefundRow | "ambiguous" | undefined> {
  const p = a.amount === null ? undefined : await findPayment(sql, n, a.ref);
  const unnamedOf = p && p.connector === n.connector ? p.id : null;
  // One statement, one snapshot: asked in two, the worker's record of the gateway's refund id
  // could commit between them, so the refund was neither named in the first nor unnamed in the second.
  const rows = await sql<(RefundRow & { named: boolean })[]>`
    SELECT r.id AS refund_id, c.id AS command_id, r.status, r.amount,
           (c.id = ${a.commandId ?? ""} OR r.id = ${a.refund.refundId ?? ""} OR r.gateway_refund_id = ${a.refund.ref}) AS named
      FROM refunds r JOIN payment_commands c ON c.refund_id = r.id AND c.kind = 'refund'
      JOIN payments p ON p.id = r.payment_id
     WHERE p.connector = ${n.connector}
       AND ((c.id = ${a.commandId ?? ""} OR r.id = ${a.refund.refundId ?? ""} OR r.gateway_refund_id = ${a.refund.ref})
            OR (r.payment_id = ${unnamedOf} AND r.status = 'pending' AND r.gateway_refund_id IS NULL AND r.amount = ${a.amount ?? -1}))
     ORDER BY named DESC
     LIMIT 3`;
  const named = rows.find((r) => r.named);
  if (named) return named;
  // Only one candidate is an answer: with two refunds of the same amount in flight, taking the
  // oldest settled one refund with the other's outcome and left the other pending for good.
  return rows.length > 1 ? "ambiguous" : rows[0];
}

async function refundNotice(sql: Sql, n: GatewayNotice, a: Extract<GatewayNotice["about"], { kind: "refund" }>): Promise<NoticeOutcome> {
  const r = await findRefund(sql, n, a);
  if (r === "ambiguous") return "deliver_again";
  if (!r) return "unknown_command";
  if (a.amount !== null && a.amount !== r.amount) return "mismatch";
  const d = decideRefund(a.refund);
  if (d.kind === "pending") {
    if (r.status === "pending") await recordGatewayRefund(sql, r.refund_id, a.refund.ref, null);
    return "pending";
  }
  if (r.status !== "pending") return (r.status === "succeeded") === (d.kind === "refunded") ? "already" : "contradicts";
  const settled = await settleRefund(sql, {
    commandId: r.command_id,
    outcome: d.kind === "refunded" ? "succeeded" : "failed",
    gatewayRefundId: a.refund.ref,
    ...(d.kind === "refund_failed" ? { failureReason: d.reason } : {}),
  });
  return settled ? "settled" : "already";
}

/**
 * Each gateway event once (gateway_webhook_events): false when this event id was seen
 * before. Recorded after the notice is applied, so a crash in between leaves the event to
 * the gateway's redelivery, which the guards make harmless.
 */
export async function seenBefore(sql: Sql, connector: string, eventId: string): Promise<boolean> {
  const [row] = await sql`SELECT 1 FROM gateway_webhook_events WHERE connector = ${connector} AND event_id = ${eventId}`;
  return row !== undefined;
}

export async function recordNotice(sql: Sql | TransactionSql, n: GatewayNotice, outcome: NoticeOutcome, paymentId: string | null): Promise<void> {
  await (sql as Sql)`
    INSERT INTO gateway_webhook_events (connector, event_id, type, payment_id, outcome)
    VALUES (${n.connector}, ${n.eventId}, ${n.type}, ${paymentId ?? n.paymentId}, ${outcome}) ON CONFLICT DO NOTHING`;
}
