/**
 * Payment worker: charges each PaymentCreated through the gateway, records
 * the exchange for audit, and settles the payment (status + PaymentResult
 * outbox row in one transaction). Retry tiers, DLQ, ordering, commits and
 * shutdown belong to the engine; this file only says what one payment needs.
 */
import { PaymentCreated, type PaymentResult } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import type { Sql } from "../../shared/db/client.ts";
import { FatalError, RetryableError, defineWorker, jsonDecoder, type EngineLog } from "../engine/index.ts";
import type { AuditDoc } from "./audit.ts";
import type { Gateway } from "./gateway.ts";
import { decideError, decideIntent, type Decision } from "./outcome.ts";
import { paymentState, recordFailure, settle } from "./settle.ts";

export interface PaymentWorkerDeps {
  readonly sql: Sql;
  readonly gateway: Gateway;
  readonly writeAudit: (docs: AuditDoc[]) => Promise<void>;
  /** Called after a commit that wrote a PaymentResult outbox row (wakes the relay). */
  readonly notifyOutbox: () => void;
  readonly log: EngineLog;
  readonly onDecision?: (decision: Decision["kind"]) => void;
}

export const paymentWorker = (deps: PaymentWorkerDeps) =>
  defineWorker<PaymentCreated>(({ sink }) => {
    const audit = sink<AuditDoc>({ name: "audit", maxItems: 500, maxWaitMs: 50, write: deps.writeAudit });
    return {
      name: "payment-worker",
      sourceTopic: Topics.paymentsCreated,
      decode: jsonDecoder(PaymentCreated),
      classify: (err) => (err instanceof FatalError ? "fatal" : err instanceof RetryableError ? "retry" : undefined),
      async handle(evt, ctx) {
        const correlationId = ctx.message.headers[Headers.correlationId];
        // An operator's replay restarts the attempt count; its exchanges are kept apart.
        const replay = ctx.message.headers[Headers.replay];
        const docId = replay ? `${evt.paymentId}:replay-${replay}:${ctx.attempt}` : `${evt.paymentId}:${ctx.attempt}`;
        const state = await paymentState(deps.sql, evt.paymentId);
        if (state === null) throw new FatalError(`payment ${evt.paymentId} does not exist`);
        // Already decided (a redelivery after the settle committed but before the offset did):
        // nothing to settle or emit, but the crash may have taken this attempt's audit batch.
        // Asking again with the same idempotency key replays the gateway's stored answer and
        // charges nothing, and re-auditing under the same _id adds nothing if it was stored.
        // (Checking the audit store instead would be a lookup per redelivery, which the local
        // store answers in seconds once it holds a few hundred thousand documents.)

        const { intent, error, exchange } = await deps.gateway.charge(evt);
        const decision = intent ? decideIntent(intent) : decideError(error);
        deps.onDecision?.(decision.kind);
        const doc: AuditDoc = {
          _id: docId,
          paymentId: evt.paymentId,
          merchantId: evt.merchantId,
          attempt: ctx.attempt,
          ...(replay ? { replay } : {}),
          correlationId: correlationId ?? null,
          gateway: "stripe",
          request: exchange.request,
          response: exchange.response,
          startedAt: exchange.startedAt,
          durationMs: Math.round(exchange.durationMs * 10) / 10,
          outcome: decision.kind,
          ...(decision.kind === "denied" ? { declineCode: decision.declineCode } : {}),
          ...(decision.kind === "retry" || decision.kind === "fatal" ? { error: decision.reason } : {}),
        };
        const stored = audit.add(doc);
        if (decision.kind === "retry" || decision.kind === "fatal") {
          await recordFailure(deps.sql, evt.paymentId, `attempt ${ctx.attempt}: ${decision.reason}`);
          // On record before the message moves to a retry tier or the DLQ.
          await stored;
          deps.log.warn({ paymentId: evt.paymentId, correlationId, attempt: ctx.attempt, reason: decision.reason }, `gateway ${decision.kind}`);
          throw decision.kind === "fatal" ? new FatalError(decision.reason) : new RetryableError(decision.reason);
        }
        // The offset waits for the audit batch; the payment does not (an audit-store outage
        // slows commits, bounded by the engine's backpressure, and never blocks decisions).
        ctx.defer(stored);
        if (state.status !== "PENDING") return;

        const result: PaymentResult = {
          v: 1,
          paymentId: evt.paymentId,
          merchantId: evt.merchantId,
          status: decision.kind === "approved" ? "APPROVED" : "DENIED",
          ...(decision.kind === "denied" ? { declineCode: decision.declineCode } : {}),
          gatewayRef: decision.gatewayRef,
          decidedAt: new Date().toISOString(),
        };
        if (await settle(deps.sql, result, correlationId)) deps.notifyOutbox();
        deps.log.info({ paymentId: evt.paymentId, correlationId, attempt: ctx.attempt, status: result.status, declineCode: result.declineCode }, "payment decided");
      },
    };
  });
