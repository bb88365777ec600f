/**
 * Payment worker: resolves each PaymentCreated at the gateway and settles the payment (a
 * transition in shared/payments/charge.ts: status + its announcements in one transaction).
 * It charges what the payment row says, never what the message says; a final payment is
 * never sent to the gateway again; a payment that may have reached the gateway before is
 * first looked up there (plan.ts). Every HTTP exchange is audited, write-ahead. Retry
 * tiers, DLQ, ordering, commits and shutdown belong to the engine.
 */
import { PaymentCreated } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import type { Sql } from "../../shared/db/client.ts";
import { nextIdempotencyKey, recordFailure, settleCharge, type ChargeOutcome } from "../../shared/payments/charge.ts";
import type { AuditWrite } from "../connectors/audit.ts";
import { createExchanger, type Judged } from "../connectors/exchange.ts";
import { decideError, decideIntent, decideLookupError, decisiveIntent, type Decision } from "../connectors/stripe/outcome.ts";
import type { Answer, Call, Gateway } from "../connectors/types.ts";
import { FatalError, PoisonError, RetryableError, defineWorker, jsonDecoder, type EngineLog, type HandlerContext } from "../engine/index.ts";
import { chargeOf, firstCall, idempotencyKeyOf, keyStillReplays, shouldMintKey, type Attempt } from "./plan.ts";
import { loadPayment, type PaymentRow } from "./payment-row.ts";

export interface PaymentWorkerDeps {
  readonly sql: Sql;
  readonly gateway: Gateway;
  /** Stores journal entries (a request waits for its own) and answered exchanges (a decision waits for its own). */
  readonly writeAudit: (writes: AuditWrite[]) => Promise<void>;
  /** Called after a commit that wrote a PaymentResult outbox row (wakes the relay). */
  readonly notifyOutbox: () => void;
  readonly log: EngineLog;
  /** How far the gateway's search may trail its writes (see plan.ts shouldMintKey). */
  readonly searchLagMs: number;
  readonly onDecision?: (decision: Decision["kind"]) => void;
  readonly now?: () => number;
}

/** Where the message and its payment row disagree on what to charge; undefined when they agree. */
export function disagreement(evt: PaymentCreated, row: PaymentRow): string | undefined {
  const fields: [string, unknown, unknown][] = [
    ["merchantId", evt.merchantId, row.merchant_id],
    ["amount", evt.amount, row.amount],
    ["currency", evt.currency, row.currency],
    ["paymentMethod", evt.paymentMethod, row.payment_method],
    ["captureMethod", evt.captureMethod ?? "automatic", row.capture_method],
  ];
  const off = fields.filter(([, a, b]) => a !== b).map(([name]) => name);
  return off.length ? off.join(", ") : undefined;
}

type Resolution = { decision: Decision; intentId: string | null; mintKey: boolean };
const verdict = (decision: Decision): Judged<Decision> => ({
  outcome: decision.kind,
  decision,
  ...(decision.kind === "denied" ? { declineCode: decision.declineCode } : {}),
  ...(decision.kind === "retry" || decision.kind === "fatal" ? { error: decision.reason } : {}),
});

/** What the first intent of an answer says, or what its error says. */
const ofCreate = (a: Answer) => verdict(a.error !== undefined ? decideError(a.error) : decideIntent(a.intents[0]!));
const ofRetrieve = (a: Answer) => verdict(a.error !== undefined ? decideLookupError(a.error) : decideIntent(a.intents[0]!));
const ofSearch = (a: Answer): Judged<Decision> => {
  if (a.error !== undefined) return verdict(decideLookupError(a.error));
  const pi = decisiveIntent(a.intents);
  return pi ? verdict(decideIntent(pi)) : { outcome: "not_found" };
};

/** A decision that settles the payment, or undefined for one that leaves it pending (retry, fatal). */
function chargeOutcome(d: Decision): ChargeOutcome | undefined {
  switch (d.kind) {
    case "approved":
    case "authorized":
      return { kind: d.kind, gatewayRef: d.gatewayRef };
    case "denied":
      return { kind: "denied", gatewayRef: d.gatewayRef, declineCode: d.declineCode };
    default:
      return undefined;
  }
}

export const paymentWorker = (deps: PaymentWorkerDeps) =>
  defineWorker<PaymentCreated>(({ groupSink }) => {
    // A group sink: written at once when idle, batched when busy, so waiting on it costs a round trip, not a timer.
    const audit = groupSink<AuditWrite>({ name: "audit", maxItems: 500, write: deps.writeAudit });
    const exchange = createExchanger({ gateway: deps.gateway, audit });
    const now = deps.now ?? Date.now;

    async function resolve(row: PaymentRow, attempt: Attempt, ctx: HandlerContext): Promise<Resolution> {
      const replay = ctx.message.headers[Headers.replay];
      const who = {
        paymentId: row.id,
        merchantId: row.merchant_id,
        attempt: ctx.attempt,
        ...(replay ? { replay } : {}),
        correlationId: ctx.message.headers[Headers.correlationId] ?? null,
      };
      const first = firstCall(row, attempt, now());
      if (first.op === "retrieve") {
        const { answer, decision } = await exchange(who, first, ofRetrieve);
        return { decision: decision!, intentId: answer.intents[0]?.id ?? first.intentId, mintKey: false };
      }
      let searchedEmpty = false;
      if (first.op === "search") {
        const { answer, decision } = await exchange(who, first, ofSearch);
        // A failed look-up says nothing; only a young payment's key still guards the create (plan.ts).
        const lookupFailed = answer.error !== undefined && decision?.kind === "retry";
        if (decision && !(lookupFailed && keyStillReplays(row, now()))) return { decision, intentId: decisiveIntent(answer.intents)?.id ?? null, mintKey: false };
        searchedEmpty = !lookupFailed; // the gateway has no intent for this payment: a create may go out
      }
      const create: Call = { op: "create", idempotencyKey: idempotencyKeyOf(row), charge: chargeOf(row) };
      const { answer, decision } = await exchange(who, create, ofCreate);
      const replayedError = answer.replayed && answer.error !== undefined && answer.intents.length === 0;
      const mintKey = decision!.kind === "retry" && shouldMintKey({ replayedError, searchedEmpty, firstFailureAt: attempt.firstFailureAt, now: now(), searchLagMs: deps.searchLagMs });
      return { decision: decision!, intentId: answer.intents[0]?.id ?? null, mintKey };
    }

    return {
      name: "payment-worker",
      sourceTopic: Topics.paymentsCreated,
      decode: jsonDecoder(PaymentCreated),
      classify: (err) => (err instanceof FatalError || err instanceof PoisonError ? "fatal" : err instanceof RetryableError ? "retry" : undefined),
      async handle(evt, ctx) {
        const correlationId = ctx.message.headers[Headers.correlationId];
        const row = await loadPayment(deps.sql, evt.paymentId);
        if (row === null) throw new FatalError(`payment ${evt.paymentId} does not exist`);
        const off = disagreement(evt, row);
        // Whoever can produce to the topic must not be able to charge another amount: never charged, DLQ and alert.
        if (off) throw new PoisonError(`PaymentCreated for ${evt.paymentId} disagrees with the payment on ${off}; nothing was charged`);
        if (row.status !== "PENDING") {
          deps.log.info({ paymentId: row.id, correlationId, status: row.status }, "payment already decided; the gateway is not asked again");
          return;
        }

        const firstFailure = Number(ctx.message.headers[Headers.firstFailureAt]);
        const attempt: Attempt = {
          attempt: ctx.attempt,
          replay: ctx.message.headers[Headers.replay] !== undefined,
          firstFailureAt: Number.isFinite(firstFailure) && firstFailure > 0 ? firstFailure : null,
        };
        const resolved = await resolve(row, attempt, ctx);
        const { intentId, mintKey } = resolved;
        let decision = resolved.decision;
        // A held authorization of an automatic payment (or the reverse) was not created by this worker.
        if (decision.kind === "authorized" && row.capture_method !== "manual") decision = { kind: "fatal", reason: `payment intent ${intentId} is held for capture, but the payment is automatic` };
        deps.onDecision?.(decision.kind);
        const outcome = chargeOutcome(decision);
        if (outcome === undefined) {
          const reason = decision.kind === "retry" || decision.kind === "fatal" ? decision.reason : decision.kind;
          const error = `attempt ${ctx.attempt}: ${reason}`;
          if (mintKey) await nextIdempotencyKey(deps.sql, row.id, row.gateway_key_seq, `${error}; the gateway has no intent and replays a stored error, so the next attempt uses a new idempotency key`);
          else await recordFailure(deps.sql, row.id, error, intentId);
          deps.log.warn({ paymentId: row.id, correlationId, attempt: ctx.attempt, reason, mintKey }, `gateway ${decision.kind}`);
          throw decision.kind === "fatal" ? new FatalError(reason) : new RetryableError(reason);
        }
        if (await settleCharge(deps.sql, { paymentId: row.id, outcome, intentId, ...(correlationId ? { correlationId } : {}) })) deps.notifyOutbox();
        deps.log.info({ paymentId: row.id, correlationId, attempt: ctx.attempt, status: outcome.kind, ...(outcome.kind === "denied" ? { declineCode: outcome.declineCode } : {}) }, "payment decided");
      },
    };
  });
