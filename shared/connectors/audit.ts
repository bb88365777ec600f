/**
 * Audit log of every HTTP exchange with the gateway (the seed's Audit Database), in Mongo,
 * append-only: nothing is ever rewritten.
 *
 * - `gateway_requests` (the journal): one document per request, stored BEFORE it is sent;
 * - `gateway_attempts`: one document per answered exchange, with the request and the
 *   answer, stored before the worker acts on the answer.
 * Both are keyed by the exchange id the request carried to the gateway
 * (`Payorch-Exchange-Id`), so the gateway's own request log can be held against them. A
 * worker killed in between leaves a journal entry with no answer, never a request with no
 * record, nor a decision on an answer the audit lacks. Storing the same document twice (a
 * batch retried after a partial write) is a no-op.
 *
 * Writes are inserts only, one batch at a time per worker: the local audit store (FerretDB
 * on SQLite) deadlocked under concurrent updates and inserts. An outage of the store is
 * retried here, with backoff, for as long as it lasts: no request is sent meanwhile.
 */
import { MongoBulkWriteError, type Collection, type Db } from "mongodb";
import type { Answer, ExchangeRequest, Op } from "./types.ts";

export const AUDIT_COLLECTION = "gateway_attempts";
export const JOURNAL_COLLECTION = "gateway_requests";

/**
 * How one exchange ended for the payment or command: approved, denied, authorized,
 * captured, canceled, refunded, refund_failed, pending (the gateway is still at it),
 * not_found (a look-up found nothing), retry or fatal.
 */
export type ExchangeOutcome = string;

/** A request about to go out. */
export interface RequestDoc {
  _id: string;
  paymentId: string;
  merchantId: string;
  /** The delivery attempt of the message this exchange belongs to (several exchanges may share one). */
  attempt: number;
  /** Dead-letter id when this exchange belongs to an operator's replay. */
  replay?: string;
  /** The capture, cancel or refund command this exchange carries out. */
  commandId?: string;
  correlationId: string | null;
  /** The connector the request went to. */
  gateway: string;
  /** Why the payment is at that connector: route, split, fallback (a circuit open), failover, resumed (an earlier delivery's). */
  routing?: string;
  operation: Op;
  request: ExchangeRequest;
  startedAt: Date;
}

/** An answered exchange: the request and what came back. */
export interface AuditDoc extends RequestDoc {
  response: Answer["response"] & { replayed: boolean };
  durationMs: number;
  outcome: ExchangeOutcome;
  declineCode?: string;
  error?: string;
}

export type AuditWrite = { readonly journal: RequestDoc } | { readonly answered: AuditDoc };

export async function auditCollections(db: Db): Promise<{ attempts: Collection<AuditDoc>; journal: Collection<RequestDoc> }> {
  const attempts = db.collection<AuditDoc>(AUDIT_COLLECTION);
  const journal = db.collection<RequestDoc>(JOURNAL_COLLECTION);
  for (const coll of [attempts, journal] as Collection<RequestDoc>[]) {
    await coll.createIndex({ paymentId: 1, startedAt: 1 });
    await coll.createIndex({ startedAt: 1 });
  }
  return { attempts, journal };
}

const isDuplicateOnly = (err: unknown) =>
  err instanceof MongoBulkWriteError && Array.isArray(err.writeErrors) && err.writeErrors.length > 0 && err.writeErrors.every((w) => w.code === 11000);

type OnRetry = (err: unknown, attempt: number) => void;

async function insertAll<T extends { _id: string }>(coll: Collection<T>, docs: T[], onRetry: OnRetry): Promise<void> {
  if (docs.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await coll.insertMany(docs as never[], { ordered: false });
      return;
    } catch (err) {
      if (isDuplicateOnly(err)) return; // an earlier try stored them
      onRetry(err, attempt);
      await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(attempt, 6))));
    }
  }
}

/** Stores a batch of journal entries and answered exchanges, journal first. */
export function auditWriter(colls: { attempts: Collection<AuditDoc>; journal: Collection<RequestDoc> }, onRetry: OnRetry) {
  return async (writes: readonly AuditWrite[]): Promise<void> => {
    await insertAll(
      colls.journal,
      writes.flatMap((w) => ("journal" in w ? [w.journal] : [])),
      onRetry,
    );
    await insertAll(
      colls.attempts,
      writes.flatMap((w) => ("answered" in w ? [w.answered] : [])),
      onRetry,
    );
  };
}
