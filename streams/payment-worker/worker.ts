/**
 * Payment worker: resolves each PaymentCreated at a connector and settles the payment (a
 * transition in shared/payments/charge.ts: status + its announcements in one transaction,
 * which concurrent decisions share: a transaction group, one commit for those that arrive
 * together).
 * It charges what the payment row says, never what the message says; a final payment is
 * never sent to a gateway again; a payment that may have reached its connector before is
 * first looked up there (plan.ts); it moves to the next connector of its route only when
 * the attempt is known not to have been processed (route.ts). Every HTTP exchange is
 * audited, write-ahead. Retry tiers, DLQ, ordering, commits and shutdown belong to the engine.
 */
import { PaymentCreated } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import { beginOn, isDatabaseUnavailable, type Sql } from "../../shared/db/client.ts";
import { nextIdempotencyKey, recordFailure, settleChargeIn, type ChargeOutcome } from "../../shared/payments/charge.ts";
import type { AuditWrite } from "../../shared/connectors/audit.ts";
import { createExchanger, type ExchangeContext, type Judged } from "../../shared/connectors/exchange.ts";
import { decideError, decideLookupError, decidePayment, decisivePayment, type Decision } from "../../shared/connectors/outcome.ts";
import type { Answer, Call, Connector } from "../../shared/connectors/types.ts";
import { FatalError, PoisonError, RetryableError, defineWorker, jsonDecoder, type EngineLog, type HandlerContext } from "../engine/index.ts";
import { chargeOf, firstCall, idempotencyKeyOf, keyStillReplays, keyTrustMs, shouldMintKey, type Attempt } from "./plan.ts";
import { loadPayment, type PaymentRow } from "./payment-row.ts";
import { createRouter, type At, type Health, type RouteFor } from "./route.ts";

export interface PaymentWorkerDeps {
  readonly sql: Sql;
  /** The connectors this worker may use, by name. */
  readonly connectors: Readonly<Partial<Record<string, Connector>>>;
  /** A payment's connectors in order (its merchant's routing rules). */
  readonly routeFor: RouteFor;
  /** Per-connector circuit breakers. */
  readonly health: Health;
  /** Stores journal entries (a request waits for its own) and answered exchanges (a decision waits for its own). */
  readonly writeAudit: (writes: AuditWrite[]) => Promise<void>;
  /** Called after a commit that wrote a PaymentResult outbox row (wakes the relay). */
  readonly notifyOutbox: () => void;
  readonly log: EngineLog;
  /** How far the gateway's search may trail its writes (see plan.ts shouldMintKey). */
  readonly searchLagMs: number;
  readonly onDecision?: (decision: Decision["kind"], connector: string) => void;
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

type Resolution = { decision: Decision; intentId: string | null; mintKey: boolean; outage: boolean };

const judged = (decision: Decision): Judged<Decision> => ({
  outcome: decision.kind,
  decision,
  ...(decision.kind === "denied" ? { declineCode: decision.declineCode } : {}),
  ...(decision.kind === "retry" || decision.kind === "fatal" ? { error: decision.reason } : {}),
});

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

/** An outage-class answer (nothing said about the card) counts against the connector's circuit. */
const isOutage = (a: Answer) => a.error?.class === "not_processed" || a.error?.class === "ambiguous";

export const paymentWorker = (deps: PaymentWorkerDeps) =>
  defineWorker<PaymentCreated>(({ groupSink, transactionGroup }) => {
    // A group sink: written at once when idle, batched when busy, so waiting on it costs a round trip, not a timer.
    const audit = groupSink<AuditWrite>({ name: "audit", maxItems: 500, write: deps.writeAudit });
    // Assignments and decisions likewise: each its own transition, those that arrive together
    // under one commit; a few such transactions at once, the pool's other connections for reads.
    const writes = transactionGroup({ name: "payments", maxItems: 64, concurrency: 4, begin: beginOn(deps.sql), unitless: isDatabaseUnavailable });
    const exchange = createExchanger({ audit });
    const now = deps.now ?? Date.now;
    const router = createRouter({ sql: deps.sql, writes, connectors: deps.connectors, routeFor: deps.routeFor, health: deps.health });

    async function resolve(connector: Connector, row: PaymentRow, attempt: Attempt, who: ExchangeContext): Promise<Resolution> {
      const captureMethod = row.capture_method;
      // A connector that looks up by replaying the create (Adyen) answers a look-up as the create it is.
      const ofLookupError = connector.lookup === "replay" ? decideError : decideLookupError;
      const ofCreate = (a: Answer) => judged(a.error !== undefined ? decideError(a.error) : decidePayment(a.payments[0]!, captureMethod));
      const ofRetrieve = (a: Answer) => judged(a.error !== undefined ? ofLookupError(a.error) : decidePayment(a.payments[0]!, captureMethod));
      const ofSearch = (a: Answer): Judged<Decision> => {
        if (a.error !== undefined) return judged(ofLookupError(a.error));
        const p = decisivePayment(a.payments);
        return p ? judged(decidePayment(p, captureMethod)) : { outcome: "not_found" };
      };
      const trust = keyTrustMs(connector);
      // Its replay is its only look-up, and past the key window a replay is a new charge: only an operator can tell.
      if (connector.lookup === "replay" && !keyStillReplays(row, now(), trust)) {
        return {
          decision: {
            kind: "fatal",
            reason: `older than ${connector.name}'s idempotency window, and ${connector.name} cannot be asked what an earlier attempt did`,
          },
          intentId: null,
          mintKey: false,
          outage: false,
        };
      }
      const first = firstCall(row, attempt, now(), connector);
      if (first.op === "retrieve") {
        const { answer, decision } = await exchange(connector, who, first, ofRetrieve);
        return { decision: decision!, intentId: answer.payments[0]?.ref ?? first.ref, mintKey: false, outage: isOutage(answer) };
      }
      let searchedEmpty = false;
      if (first.op === "search") {
        const { answer, decision } = await exchange(connector, who, first, ofSearch);
        // A failed look-up says nothing; only a young payment's key still guards the create (plan.ts).
        const lookupFailed = answer.error !== undefined && decision?.kind === "retry";
        if (decision && !(lookupFailed && keyStillReplays(row, now(), trust))) {
          return { decision, intentId: decisivePayment(answer.payments)?.ref ?? null, mintKey: false, outage: isOutage(answer) };
        }
        searchedEmpty = !lookupFailed; // the connector holds no payment for ours: a create may go out
      }
      const create: Call = { op: "create", idempotencyKey: idempotencyKeyOf(row), charge: chargeOf(row) };
      const { answer, decision } = await exchange(connector, who, create, ofCreate);
      const replayedError = answer.replayed && answer.error !== undefined && answer.payments.length === 0;
      const mintKey =
        decision!.kind === "retry" &&
        shouldMintKey({ replayedError, searchedEmpty, firstFailureAt: attempt.firstFailureAt, now: now(), searchLagMs: deps.searchLagMs });
      return { decision: decision!, intentId: answer.payments[0]?.ref ?? null, mintKey, outage: isOutage(answer) };
    }

    async function settleOrFail(row: PaymentRow, connectorName: string, r: Resolution, ctx: HandlerContext, correlationId: string | undefined): Promise<void> {
      const decision = r.decision;
      deps.onDecision?.(decision.kind, connectorName);
      const outcome = chargeOutcome(decision);
      if (outcome === undefined) {
        const reason = decision.kind === "retry" || decision.kind === "fatal" ? decision.reason : decision.kind;
        const error = `attempt ${ctx.attempt} at ${connectorName}: ${reason}`;
        if (r.mintKey)
          await nextIdempotencyKey(
            deps.sql,
            row.id,
            row.gateway_key_seq,
            `${error}; the gateway has no payment and replays a stored error, so the next attempt uses a new idempotency key`,
          );
        else await recordFailure(deps.sql, row.id, error, r.intentId);
        deps.log.warn(
          { paymentId: row.id, correlationId, connector: connectorName, attempt: ctx.attempt, reason, mintKey: r.mintKey },
          `gateway ${decision.kind}`,
        );
        throw decision.kind === "fatal" ? new FatalError(reason) : new RetryableError(reason);
      }
      if (
        await writes.run((tx) =>
          settleChargeIn(tx, {
            paymentId: row.id,
            outcome,
            connector: connectorName,
            intentId: r.intentId,
            ...(correlationId ? { correlationId } : {}),
          }),
        )
      )
        deps.notifyOutbox();
      deps.log.info(
        {
          paymentId: row.id,
          correlationId,
          connector: connectorName,
          attempt: ctx.attempt,
          status: outcome.kind,
          ...(outcome.kind === "denied" ? { declineCode: outcome.declineCode } : {}),
        },
        "payment decided",
      );
    }

    return {
      name: "payment-worker",
      sourceTopic: Topics.paymentsCreated,
      decode: jsonDecoder(PaymentCreated),
      classify: (err) => (err instanceof FatalError || err instanceof PoisonError ? "fatal" : err instanceof RetryableError ? "retry" : undefined),
      async handle(evt, ctx) {
        const correlationId = ctx.message.headers[Headers.correlationId];
        let row = await loadPayment(deps.sql, evt.paymentId);
        if (row === null) throw new FatalError(`payment ${evt.paymentId} does not exist`);
        const off = disagreement(evt, row);
        // Whoever can produce to the topic must not be able to charge another amount: never charged, DLQ and alert.
        if (off) throw new PoisonError(`PaymentCreated for ${evt.paymentId} disagrees with the payment on ${off}; nothing was charged`);
        if (row.status !== "PENDING") {
          deps.log.info({ paymentId: row.id, correlationId, status: row.status }, "payment already decided; the gateway is not asked again");
          return;
        }

        const firstFailure = Number(ctx.message.headers[Headers.firstFailureAt]);
        let attempt: Attempt = {
          attempt: ctx.attempt,
          replay: ctx.message.headers[Headers.replay] !== undefined,
          firstFailureAt: Number.isFinite(firstFailure) && firstFailure > 0 ? firstFailure : null,
        };
        const replay = ctx.message.headers[Headers.replay];
        const who: ExchangeContext = {
          paymentId: row.id,
          merchantId: row.merchant_id,
          attempt: ctx.attempt,
          ...(replay ? { replay } : {}),
          correlationId: correlationId ?? null,
        };
        let at = await router.connectorFor(row);
        for (;;) {
          const r = await resolve(at.connector, row, attempt, { ...who, routing: at.reason });
          deps.health.record(at.connector.name, r.outage ? "outage" : "ok");
          const retry = r.decision.kind === "retry" ? r.decision : undefined;
          // Elsewhere only when this connector is known not to hold a charge for the payment (route.ts).
          const mayLeave = retry !== undefined && ((retry.failover === true && at.fresh) || (retry.soft === true && at.route.failoverSoftDeclines));
          const next: At | undefined = mayLeave ? await router.failOver(row, at, retry.reason) : undefined;
          if (!next) return settleOrFail(row, at.connector.name, r, ctx, correlationId);
          deps.log.warn(
            { paymentId: row.id, correlationId, from: at.connector.name, to: next.connector.name, reason: retry!.reason },
            "failing over to the next connector",
          );
          at = next;
          row = { ...row, connector: next.connector.name, gateway_intent_id: null, gateway_key_seq: 0, last_error: null };
          // Another connector: as on a first delivery there, its create goes out at once.
          attempt = { attempt: 1, replay: false, firstFailureAt: null };
        }
      },
    };
  });
