/**
 * Audit log of every HTTP exchange with the gateway (the seed's Audit Database), in Mongo:
 * one document per exchange, `_id` = the exchange id the request carried to the gateway
 * (`Payorch-Exchange-Id`), so the gateway's own request log can be held against it.
 *
 * Write-ahead: the document is stored BEFORE the request is sent (answer still null) and
 * completed with the answer afterwards. A worker killed in between leaves a document that
 * says the request went out and no answer came back, never a request with no record.
 * Storing the same exchange twice (a batch retried after a partial write) is a no-op.
 * An outage of the store is retried here, with backoff, for as long as it lasts: no
 * request is sent meanwhile, commits stall, the engine's backpressure pauses intake.
 */
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db } from "mongodb";
import type { Answer, ExchangeRequest } from "./gateway.ts";
import type { Decision } from "./outcome.ts";

export const AUDIT_COLLECTION = "gateway_attempts";

/** How one exchange ended for the payment: a decision, or a look-up that found nothing. */
export type ExchangeOutcome = Decision["kind"] | "not_found";

export interface AuditDoc {
  _id: string;
  paymentId: string;
  merchantId: string;
  /** The delivery attempt of the message this exchange belongs to (several exchanges may share one). */
  attempt: number;
  /** Dead-letter id when this exchange belongs to an operator's replay. */
  replay?: string;
  correlationId: string | null;
  gateway: "stripe";
  operation: "create" | "retrieve" | "search";
  request: ExchangeRequest;
  /** null until the answer arrived; stays null if the worker died waiting. */
  response: (Answer["response"] & { replayed: boolean }) | null;
  startedAt: Date;
  durationMs: number | null;
  outcome: ExchangeOutcome | null;
  declineCode?: string;
  error?: string;
}

export type AuditCompletion = Pick<AuditDoc, "_id" | "response" | "durationMs" | "outcome" | "declineCode" | "error">;

export async function auditCollection(db: Db): Promise<Collection<AuditDoc>> {
  const coll = db.collection<AuditDoc>(AUDIT_COLLECTION);
  await coll.createIndex({ paymentId: 1, startedAt: 1 });
  await coll.createIndex({ startedAt: 1 });
  return coll;
}

const isDuplicateOnly = (err: unknown) =>
  err instanceof MongoBulkWriteError && Array.isArray(err.writeErrors) && err.writeErrors.length > 0 && err.writeErrors.every((w) => w.code === 11000);

type OnRetry = (err: unknown, attempt: number) => void;

async function untilStored(work: () => Promise<unknown>, onRetry: OnRetry, isDone: (err: unknown) => boolean = () => false): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return;
    } catch (err) {
      if (isDone(err)) return;
      onRetry(err, attempt);
      await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(attempt, 6))));
    }
  }
}

/** Stores write-ahead documents; a duplicate id means an earlier try stored it already. */
export function auditWriter(coll: Collection<AuditDoc>, onRetry: OnRetry) {
  return (docs: readonly AuditDoc[]): Promise<void> => untilStored(() => coll.insertMany([...docs], { ordered: false }), onRetry, isDuplicateOnly);
}

/** Writes the answers into their documents (idempotent: the same answer twice changes nothing). */
export function completionWriter(coll: Collection<AuditDoc>, onRetry: OnRetry) {
  return (done: readonly AuditCompletion[]): Promise<void> => {
    const ops: AnyBulkWriteOperation<AuditDoc>[] = done.map(({ _id, ...fields }) => ({ updateOne: { filter: { _id }, update: { $set: fields } } }));
    return untilStored(() => coll.bulkWrite(ops, { ordered: false }), onRetry);
  };
}
