/**
 * Payment worker: resolves each PaymentCreated at the gateway and settles the payment
 * (status + PaymentResult outbox row in one transaction). It charges what the payment
 * row says, never what the message says; a final payment is never sent to the gateway
 * again; a payment that may have reached the gateway before is first looked up there
 * (plan.ts). Every HTTP exchange is audited, write-ahead. Retry tiers, DLQ, ordering,
 * commits and shutdown belong to the engine.
 */
import { randomUUID } from "node:crypto";
import { PaymentCreated, type PaymentResult } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import type { Sql } from "../../shared/db/client.ts";
import { FatalError, PoisonError, RetryableError, defineWorker, jsonDecoder, type EngineLog, type HandlerContext } from "../engine/index.ts";
import type { AuditWrite, ExchangeOutcome, RequestDoc } from "./audit.ts";
import type { Answer, Call, Gateway } from "./gateway.ts";
import { decideError, decideIntent, decideLookupError, decisiveIntent, type Decision } from "./outcome.ts";
import { chargeOf, firstCall, idempotencyKeyOf, keyStillReplays, shouldMintKey, type Attempt } from "./plan.ts";
import { loadPayment, nextIdempotencyKey, recordFailure, settle, type PaymentRow } from "./settle.ts";

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
  ];
  const off = fields.filter(([, a, b]) => a !== b).map(([name]) => name);
  return off.length ? off.join(", ") : undefined;
}

type Resolution = { decision: Decision; intentId: string | null; mintKey: boolean };
type Verdict = { outcome: ExchangeOutcome; decision?: Decision };
const verdict = (decision: Decision): Verdict => ({ outcome: decision.kind, decision });

/** What the first intent of an answer says, or what its error says. */
const ofCreate = (a: Answer): Verdict => verdict(a.error !== undefined ? decideError(a.error) : decideIntent(a.intents[0]!));
const ofRetrieve = (a: Answer): Verdict => verdict(a.error !== undefined ? decideLookupError(a.error) : decideIntent(a.intents[0]!));
const ofSearch = (a: Answer): Verdict => {
  if (a.error !== undefined) return verdict(decideLookupError(a.error));
  const pi = decisiveIntent(a.intents);
  return pi ? verdict(decideIntent(pi)) : { outcome: "not_found" };
};

/** One handling of one message. */
type Run = { row: PaymentRow; attempt: Attempt; ctx: HandlerContext };

export const paymentWorker = (deps: PaymentWorkerDeps) =>
  defineWorker<PaymentCreated>(({ groupSink }) => {
    // A group sink: written at once when idle, batched when busy, so waiting on it costs a round trip, not a timer.
    const audit = groupSink<AuditWrite>({ name: "audit", maxItems: 500, write: deps.writeAudit });
    const now = deps.now ?? Date.now;

    /**
     * One HTTP exchange: its document is stored before the request goes out, and its answer
     * before anything acts on it, so a payment is never decided on an answer the audit lacks.
     */
    async function exchange(run: Run, call: Call, judge: (a: Answer) => Verdict): Promise<{ answer: Answer; decision?: Decision }> {
      const { row, ctx } = run;
      const replay = ctx.message.headers[Headers.replay];
      const doc: RequestDoc = {
        _id: `ex_${randomUUID()}`,
        paymentId: row.id,
        merchantId: row.merchant_id,
        attempt: ctx.attempt,
        ...(replay ? { replay } : {}),
        correlationId: ctx.message.headers[Headers.correlationId] ?? null,
        gateway: "stripe",
        operation: call.op,
        request: deps.gateway.describe(call),
        startedAt: new Date(),
      };
      await audit.add({ journal: doc });
      const answer = await deps.gateway.send(call, doc._id);
      const { outcome, decision } = judge(answer);
      await audit.add({
        answered: {
          ...doc,
          response: { ...answer.response, replayed: answer.replayed },
          durationMs: Math.round(answer.durationMs * 10) / 10,
          outcome,
          ...(decision?.kind === "denied" ? { declineCode: decision.declineCode } : {}),
          ...(decision?.kind === "retry" || decision?.kind === "fatal" ? { error: decision.reason } : {}),
        },
      });
      return { answer, ...(decision ? { decision } : {}) };
    }

    async function resolve(run: Run): Promise<Resolution> {
      const { row, attempt } = run;
      const first = firstCall(row, attempt, now());
      if (first.op === "retrieve") {
        const { answer, decision } = await exchange(run, first, ofRetrieve);
        return { decision: decision!, intentId: answer.intents[0]?.id ?? first.intentId, mintKey: false };
      }
      let searchedEmpty = false;
      if (first.op === "search") {
        const { answer, decision } = await exchange(run, first, ofSearch);
        // A failed look-up says nothing; only a young payment's key still guards the create (plan.ts).
        const lookupFailed = answer.error !== undefined && decision?.kind === "retry";
        if (decision && !(lookupFailed && keyStillReplays(row, now()))) return { decision, intentId: decisiveIntent(answer.intents)?.id ?? null, mintKey: false };
        searchedEmpty = !lookupFailed; // the gateway has no intent for this payment: a create may go out
      }
      const create: Call = { op: "create", idempotencyKey: idempotencyKeyOf(row), charge: chargeOf(row) };
      const { answer, decision } = await exchange(run, create, ofCreate);
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
          deps.log.info({ paymentId: row.id, correlationId, status: row.status }, "payment already final; the gateway is not asked again");
          return;
        }

        const firstFailure = Number(ctx.message.headers[Headers.firstFailureAt]);
        const attempt: Attempt = {
          attempt: ctx.attempt,
          replay: ctx.message.headers[Headers.replay] !== undefined,
          firstFailureAt: Number.isFinite(firstFailure) && firstFailure > 0 ? firstFailure : null,
        };
        const run: Run = { row, attempt, ctx };
        const { decision, intentId, mintKey } = await resolve(run);
        deps.onDecision?.(decision.kind);
        if (decision.kind === "retry" || decision.kind === "fatal") {
          const error = `attempt ${ctx.attempt}: ${decision.reason}`;
          if (mintKey) await nextIdempotencyKey(deps.sql, row.id, row.gateway_key_seq, `${error}; the gateway has no intent and replays a stored error, so the next attempt uses a new idempotency key`);
          else await recordFailure(deps.sql, row.id, error, intentId);
          deps.log.warn({ paymentId: row.id, correlationId, attempt: ctx.attempt, reason: decision.reason, mintKey }, `gateway ${decision.kind}`);
          throw decision.kind === "fatal" ? new FatalError(decision.reason) : new RetryableError(decision.reason);
        }

        const result: PaymentResult = {
          v: 1,
          paymentId: row.id,
          merchantId: row.merchant_id,
          status: decision.kind === "approved" ? "APPROVED" : "DENIED",
          ...(decision.kind === "denied" ? { declineCode: decision.declineCode } : {}),
          gatewayRef: decision.gatewayRef,
          decidedAt: new Date().toISOString(),
        };
        if (await settle(deps.sql, result, intentId, correlationId)) deps.notifyOutbox();
        deps.log.info({ paymentId: row.id, correlationId, attempt: ctx.attempt, status: result.status, declineCode: result.declineCode }, "payment decided");
      },
    };
  });
