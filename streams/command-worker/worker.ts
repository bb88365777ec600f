/**
 * Command worker: carries out the captures, cancels and refunds the API accepted
 * (payments.commands, key = payment id, so one payment's commands run in order), on the
 * stream engine with the same retry tiers and DLQ as the payment worker.
 *
 * For each command: the state is checked again here (what was true when the API accepted
 * it may no longer be), and the payment's own connector is asked, with idempotency key =
 * the command id. At a connector that can look objects up (Stripe), a command whose earlier
 * attempt may have reached it (a retry, a replay, a recorded failure, or one older than its
 * key window) first looks its object up; an answer that says the object is in an unexpected
 * state is resolved by looking it up, never by sending a new command. At a connector whose
 * commands are asynchronous (Adyen's modifications), the same request again under the same
 * key is the look-up, and "received" ends the attempt: the outcome comes by webhook. The
 * outcome is one transition (shared/payments).
 */
import { PaymentCommand } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import type { Sql } from "../../shared/db/client.ts";
import { completeCancel, completeCapture, failCommand } from "../../shared/payments/capture.ts";
import { awaitGatewayWebhook, noteCommandFailure } from "../../shared/payments/commands.ts";
import { recordGatewayRefund, settleRefund } from "../../shared/payments/refund.ts";
import type { AuditWrite } from "../../shared/connectors/audit.ts";
import { createExchanger, type ExchangeContext, type Judged } from "../../shared/connectors/exchange.ts";
import { ofPaymentCommand, ofRefund, ofRefundList, type CommandDecision } from "../../shared/connectors/outcome.ts";
import type { Answer, Call, Connector } from "../../shared/connectors/types.ts";
import { FatalError, PoisonError, RetryableError, defineWorker, jsonDecoder, type EngineLog } from "../engine/index.ts";
import { keyTrustMs } from "../payment-worker/plan.ts";
import { chargeOfCommand, loadCommandState, type CommandState } from "./state.ts";

export interface CommandWorkerDeps {
  readonly sql: Sql;
  /** The connectors this worker may use, by name: each command goes to its payment's. */
  readonly connectors: Readonly<Partial<Record<string, Connector>>>;
  readonly writeAudit: (writes: AuditWrite[]) => Promise<void>;
  /** After a commit that wrote a PaymentResult (wakes the relay). */
  readonly notifyOutbox: () => void;
  readonly log: EngineLog;
  readonly onOutcome?: (kind: string, outcome: string) => void;
  readonly now?: () => number;
}

const judged = (d: CommandDecision): Judged<CommandDecision> => ({ outcome: d.kind, decision: d, ...("reason" in d ? { error: d.reason } : {}) });

/** A decision plus, for an asynchronous command the gateway received, its reference there. */
type Asked = { d: CommandDecision; received?: string };

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
    const exchange = createExchanger({ audit });
    const now = deps.now ?? Date.now;
    const ask = async (c: Connector, who: ExchangeContext, call: Call, judge: (a: Answer) => CommandDecision): Promise<Asked> => {
      const { answer, decision } = await exchange(c, who, call, (a) => judged(judge(a)));
      return { d: decision!, ...(answer.received ? { received: answer.received } : {}) };
    };

    /** Capture or cancel: look the payment up when an earlier attempt may have acted, else act; an unexpected state is looked up. */
    async function settle(c: Connector, s: CommandState, who: ExchangeContext, lookFirst: boolean): Promise<Asked> {
      const ref = s.gateway_intent_id!;
      const paymentId = s.payment_id;
      const retrieve: Call = { op: "retrieve", ref, charge: chargeOfCommand(s), idempotencyKey: s.id };
      const act: Call =
        s.kind === "capture"
          ? { op: "capture", idempotencyKey: s.id, ref, amount: s.amount ?? s.payment_amount, currency: s.currency, paymentId }
          : { op: "cancel", idempotencyKey: s.id, ref, paymentId };
      const canLook = c.lookup === "search";
      let a: Asked = lookFirst && canLook ? await ask(c, who, retrieve, ofPaymentCommand) : { d: { kind: "capturable" } };
      if (a.d.kind === "capturable") a = await ask(c, who, act, ofPaymentCommand);
      if (a.d.kind === "lookup" && canLook) a = await ask(c, who, retrieve, ofPaymentCommand);
      // Still held after the gateway refused to act on it: something changes under us; try again later.
      return a.d.kind === "capturable" ? { d: { kind: "retry", reason: `payment ${ref} is still held after the ${s.kind} was refused` } } : a;
    }

    async function refund(c: Connector, s: CommandState, who: ExchangeContext, lookFirst: boolean): Promise<Asked> {
      const canLook = c.lookup === "search";
      let a: Asked | undefined;
      if (s.gateway_refund_id && canLook) a = await ask(c, who, { op: "retrieve_refund", gatewayRefundId: s.gateway_refund_id }, ofRefund);
      else if (lookFirst && canLook) a = await ask(c, who, { op: "list_refunds", ref: s.gateway_intent_id! }, (x) => ofRefundList(x, s.refund_id!));
      if (a === undefined || a.d.kind === "not_found") {
        const call: Call = {
          op: "refund",
          idempotencyKey: s.id,
          ref: s.gateway_intent_id!,
          amount: s.amount!,
          currency: s.currency,
          refundId: s.refund_id!,
          paymentId: s.payment_id,
        };
        a = await ask(c, who, call, ofRefund);
      }
      return a;
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
        if (!s.gateway_intent_id) throw new FatalError(`payment ${s.payment_id} has no gateway reference on record`);
        const connector = deps.connectors[s.connector ?? "stripe"];
        if (!connector) throw new FatalError(`payment ${s.payment_id} is held at ${s.connector}, which this worker has no settings for`);
        // Received by an asynchronous connector already: its webhook settles the command; nothing is sent again.
        if (s.gateway_ref !== null && connector.asyncCommands) return;

        const who: ExchangeContext = {
          paymentId: s.payment_id,
          merchantId: s.merchant_id,
          attempt: ctx.attempt,
          commandId: s.id,
          ...(h[Headers.replay] ? { replay: h[Headers.replay] } : {}),
          correlationId: correlationId ?? null,
        };
        const tooOld = now() - s.created_at.getTime() > keyTrustMs(connector);
        // Without look-ups, only the key's replay tells what an earlier attempt did; past its window an operator must.
        if (tooOld && connector.lookup !== "search")
          throw new FatalError(`command ${s.id} is older than ${connector.name}'s idempotency window and ${connector.name} cannot be asked what it did`);
        const lookFirst = ctx.attempt > 1 || h[Headers.replay] !== undefined || s.last_error !== null || tooOld;
        const { d, received } = s.kind === "refund" ? await refund(connector, s, who, lookFirst) : await settle(connector, s, who, lookFirst);
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
            if (d.kind === "refund_failed" && d.gatewayRefundId === null)
              deps.log.error({ paymentId: s.payment_id, refundId: s.refund_id, reason: d.reason }, "the gateway refused a refund the database had room for");
            if (
              await settleRefund(deps.sql, {
                commandId: s.id,
                outcome: d.kind === "refunded" ? "succeeded" : "failed",
                gatewayRefundId: d.gatewayRefundId,
                ...(d.kind === "refund_failed" ? { failureReason: d.reason } : {}),
                ...corr,
              })
            ) {
              deps.notifyOutbox();
            }
            break;
          case "pending":
            if (received !== undefined && connector.asyncCommands) {
              await awaitGatewayWebhook(deps.sql, s, received);
              deps.log.info(
                { paymentId: s.payment_id, commandId: s.id, kind: s.kind, connector: connector.name, gatewayRef: received, correlationId },
                "command received by the gateway; its webhook settles it",
              );
              return;
            }
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
