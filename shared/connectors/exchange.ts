/**
 * One audited HTTP exchange with a connector, the same for every worker and connector:
 * the journal entry is stored before the request goes out, the answered exchange before
 * the caller acts on the answer (audit.ts). `judge` turns the answer into the outcome the
 * audit records and the decision the caller acts on.
 */
import { randomUUID } from "node:crypto";
import type { AuditWrite, ExchangeOutcome, RequestDoc } from "./audit.ts";
import type { Answer, Call, Connector } from "./types.ts";

/** Who the exchange is for, as the audit documents show it. */
export interface ExchangeContext {
  readonly paymentId: string;
  readonly merchantId: string;
  /** The delivery attempt of the message being handled. */
  readonly attempt: number;
  readonly replay?: string;
  readonly commandId?: string;
  readonly correlationId: string | null;
  /** Why the payment is at this connector (route.ts). */
  readonly routing?: string;
}

export type Judged<D> = { outcome: ExchangeOutcome; decision?: D; error?: string; declineCode?: string };

export function createExchanger(deps: { audit: { add(write: AuditWrite): Promise<void> } }) {
  return async function exchange<D>(
    connector: Connector,
    who: ExchangeContext,
    call: Call,
    judge: (a: Answer) => Judged<D>,
  ): Promise<{ answer: Answer; decision?: D }> {
    const doc: RequestDoc = {
      _id: `ex_${randomUUID()}`,
      paymentId: who.paymentId,
      merchantId: who.merchantId,
      attempt: who.attempt,
      ...(who.replay ? { replay: who.replay } : {}),
      ...(who.commandId ? { commandId: who.commandId } : {}),
      correlationId: who.correlationId,
      gateway: connector.name,
      ...(who.routing ? { routing: who.routing } : {}),
      operation: call.op,
      request: connector.describe(call),
      startedAt: new Date(),
    };
    await deps.audit.add({ journal: doc });
    const answer = await connector.send(call, doc._id);
    const judged = judge(answer);
    await deps.audit.add({
      answered: {
        ...doc,
        response: { ...answer.response, replayed: answer.replayed },
        durationMs: Math.round(answer.durationMs * 10) / 10,
        outcome: judged.outcome,
        ...(judged.declineCode ? { declineCode: judged.declineCode } : {}),
        ...(judged.error ? { error: judged.error } : {}),
      },
    });
    return { answer, ...(judged.decision !== undefined ? { decision: judged.decision } : {}) };
  };
}

export type Exchange = ReturnType<typeof createExchanger>;
