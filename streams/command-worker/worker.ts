/**
 * Command worker: carries out the captures, cancels and refunds the API accepted
 * (payments.commands, key = payment id, so one payment's commands run in order), on the
 * stream engine with the same retry tiers and DLQ as the payment worker.
 *
 * For each command: the state is checked again here (what was true when the API accepted
 * it may no longer be), the gateway is asked with idempotency key = the command id, and a
 * command whose earlier attempt may have reached the gateway (a retry, a replay, a recorded
 * failure, or one older than the gateway's key window) first looks its object up there.
 * An answer that says the object is in an unexpected state is resolved by looking it up,
 * never by sending a new command. The outcome is one transition (shared/payments).
 */
import { PaymentCommand } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import type { Sql } from "../../shared/db/client.ts";
import { completeCancel, completeCapture, failCommand } from "../../shared/payments/capture.ts";
import { noteCommandFailure } from "../../shared/payments/commands.ts";
import { recordGatewayRefund, settleRefund } from "../../shared/payments/refund.ts";
import type { AuditWrite } from "../connectors/audit.ts";
import { createExchanger, type ExchangeContext, type Judged } from "../connectors/exchange.ts";
import { ofIntentCommand, ofRefund, ofRefundList, type CommandDecision } from "../connectors/stripe/command-outcome.ts";
import type { Call, Gateway } from "../connectors/types.ts";
import { FatalError, PoisonError, RetryableError, defineWorker, jsonDecoder, type EngineLog } from "../engine/index.ts";
import { KEY_TRUST_MS } from "../payment-worker/plan.ts";
import { loadCommandState, type CommandState } from "./state.ts";

export interface CommandWorkerDeps {
  readonly sql: Sql;
  readonly gateway: Gateway;
  readonly writeAudit: (writes: AuditWrite[]) => Promise<void>;
  /** After a commit that wrote a PaymentResult (wakes the relay). */
  readonly notifyOutbox: () => void;
  readonly log: EngineLog;
  readonly onOutcome?: (kind: string, outcome: string) => void;
  readonly now?: () => number;
}

const judged = (d: CommandDecision): Judged<CommandDecision> => ({ outcome: d.kind, decision: d, ...("reason" in d ? { error: d.reason } : {}) });

/** Where the message and its command row disagree; undefined when they agree. */
function disagreement(evt: PaymentCommand, s: CommandState): string | undefined {
  const off = [
    s.payment_id !== evt.paymentId && "paymentId",
    s.merchant_id !== evt.merchantId && "merchantId",
    s.kind !== evt.kind && "kind",
    (s.amount ?? undefined) !== evt.amount && "amount",
    (s.refund_id ?? undefined) !== evt.refundId && "refundId",
  ].filter(Boolean);
  return off.length ? off.join(", ") : undefined;
}

export const commandWorker = (deps: CommandWorkerDeps) =>
  defineWorker<PaymentCommand>(({ groupSink }) => {
    const audit = groupSink<AuditWrite>({ name: "audit", maxItems: 500, write: deps.writeAudit });
    const exchange = createExchanger({ gateway: deps.gateway, audit });
    const now = deps.now ?? Date.now;
    const ask = async (who: ExchangeContext, call: Call, judge: (a: Parameters<typeof ofIntentCommand>[0]) => CommandDecision) =>
      (await exchange(who, call, (a) => judged(judge(a)))).decision!;

    /** Capture or cancel: look the intent up when an earlier attempt may have acted, else act; an unexpected state is looked up. */
    async function settle(s: CommandState, who: ExchangeContext, lookFirst: boolean): Promise<CommandDecision> {
      const intentId = s.gateway_intent_id!;
      const retrieve: Call = { op: "retrieve", intentId };
      const act: Call = s.kind === "capture" ? { op: "capture", idempotencyKey: s.id, intentId, amount: s.amount ?? s.payment_amount } : { op: "cancel", idempotencyKey: s.id, intentId };
      let d = lookFirst ? await ask(who, retrieve, ofIntentCommand) : ({ kind: "capturable" } as CommandDecision);
      if (d.kind === "capturable") d = await ask(who, act, ofIntentCommand);
      if (d.kind === "lookup") d = await ask(who, retrieve, ofIntentCommand);
      // Still held after the gateway refused to act on it: something changes under us; try again later.
      return d.kind === "capturable" ? { kind: "retry", reason: `payment intent ${intentId} is still held after the ${s.kind} was refused` } : d;
    }

    async function refund(s: CommandState, who: ExchangeContext, lookFirst: boolean): Promise<CommandDecision> {
      let d: CommandDecision | undefined;
      if (s.gateway_refund_id) d = await ask(who, { op: "retrieve_refund", gatewayRefundId: s.gateway_refund_id }, ofRefund);
      else if (lookFirst) d = await ask(who, { op: "list_refunds", intentId: s.gateway_intent_id! }, (a) => ofRefundList(a, s.refund_id!));
      if (d === undefined || d.kind === "not_found") {
        d = await ask(who, { op: "refund", idempotencyKey: s.id, intentId: s.gateway_intent_id!, amount: s.amount!, refundId: s.refund_id!, paymentId: s.payment_id }, ofRefund);
      }
      return d;
    }

    return {
      name: "command-worker",
      sourceTopic: Topics.paymentsCommands,
      decode: jsonDecoder(PaymentCommand),
      classify: (err) => (err instanceof FatalError || err instanceof PoisonError ? "fatal" : err instanceof RetryableError ? "retry" : undefined),
      async handle(evt, ctx) {
        const h = ctx.message.headers;
        const correlationId = h[Headers.correlationId];
        const s = await loadCommandState(deps.sql, evt.commandId);
        if (!s) throw new FatalError(`command ${evt.commandId} does not exist`);
        const off = disagreement(evt, s);
        if (off) throw new PoisonError(`PaymentCommand ${evt.commandId} disagrees with the command on ${off}; nothing was sent`);
        if (s.state !== "pending" || (s.kind === "refund" && s.refund_status !== "pending")) return; // done already: a redelivery
        // Checked again where it executes: what held when the API accepted the command may not now.
        const wanted = s.kind === "refund" ? "APPROVED" : "AUTHORIZED";
        if (s.payment_status !== wanted) {
          if (s.kind === "refund") throw new FatalError(`refund ${s.refund_id}: the payment is ${s.payment_status}`);
          await failCommand(deps.sql, s.id, `the payment is ${s.payment_status} now`);
          deps.onOutcome?.(s.kind, "refused");
          return;
        }
        if (!s.gateway_intent_id) throw new FatalError(`payment ${s.payment_id} has no gateway intent on record`);

        const who: ExchangeContext = {
          paymentId: s.payment_id,
          merchantId: s.merchant_id,
          attempt: ctx.attempt,
          commandId: s.id,
          ...(h[Headers.replay] ? { replay: h[Headers.replay] } : {}),
          correlationId: correlationId ?? null,
        };
        const lookFirst = ctx.attempt > 1 || h[Headers.replay] !== undefined || s.last_error !== null || now() - s.created_at.getTime() > KEY_TRUST_MS;
        const d = s.kind === "refund" ? await refund(s, who, lookFirst) : await settle(s, who, lookFirst);
        deps.onOutcome?.(s.kind, d.kind);
        const corr = correlationId ? { correlationId } : {};
        switch (d.kind) {
          case "captured":
            if (s.kind === "capture" ? await completeCapture(deps.sql, { commandId: s.id, amount: d.amount, ...corr }) : false) deps.notifyOutbox();
            if (s.kind === "cancel") throw new FatalError(`payment ${s.payment_id} is captured at the gateway while held here: an operator must reconcile it`);
            break;
          case "canceled":
            // Ours, or the gateway's own void of a hold that expired there: the payment is canceled either way.
            if (await completeCancel(deps.sql, { paymentId: s.payment_id, commandId: s.kind === "cancel" ? s.id : null, ...corr })) deps.notifyOutbox();
            if (s.kind === "capture") await failCommand(deps.sql, s.id, "the authorization was voided at the gateway");
            break;
          case "refunded":
          case "refund_failed":
            if (d.kind === "refund_failed" && d.gatewayRefundId === null) deps.log.error({ paymentId: s.payment_id, refundId: s.refund_id, reason: d.reason }, "the gateway refused a refund the database had room for");
            if (await settleRefund(deps.sql, { commandId: s.id, outcome: d.kind === "refunded" ? "succeeded" : "failed", gatewayRefundId: d.gatewayRefundId, ...(d.kind === "refund_failed" ? { failureReason: d.reason } : {}), ...corr })) {
              deps.notifyOutbox();
            }
            break;
          case "pending":
            if (d.gatewayRefundId) await recordGatewayRefund(deps.sql, s.refund_id!, d.gatewayRefundId, d.reason);
            throw new RetryableError(d.reason);
          default: {
            const reason = "reason" in d ? d.reason : d.kind;
            await noteCommandFailure(deps.sql, s, `attempt ${ctx.attempt}: ${reason}`);
            deps.log.warn({ paymentId: s.payment_id, commandId: s.id, kind: s.kind, attempt: ctx.attempt, reason }, `command ${d.kind}`);
            throw d.kind === "fatal" ? new FatalError(reason) : new RetryableError(reason);
          }
        }
        deps.log.info({ paymentId: s.payment_id, commandId: s.id, kind: s.kind, outcome: d.kind, correlationId }, "command carried out");
      },
    };
  });
