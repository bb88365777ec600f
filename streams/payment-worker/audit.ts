/**
 * Audit log of every gateway exchange (the seed's Audit Database), in Mongo.
 *
 * `_id` is `<paymentId>:<attempt>`, so a redelivered attempt does not add a
 * second document. Writes go through the engine's batching sink (insertMany,
 * unordered) and a record's offset finishes only after its batch is stored; a
 * redelivery that finds its payment already final audits the attempt again, in
 * case the crash took the batch (see worker.ts).
 * An outage of the store is retried here, with backoff, for as long as it
 * lasts: commits stall, the engine's backpressure pauses intake, nothing is lost.
 */
import { MongoBulkWriteError, type Collection, type Db } from "mongodb";
import type { Decision } from "./outcome.ts";
import type { Exchange } from "./gateway.ts";

export const AUDIT_COLLECTION = "gateway_attempts";

export interface AuditDoc {
  _id: string;
  paymentId: string;
  merchantId: string;
  attempt: number;
  /** Dead-letter id when this attempt belongs to an operator's replay. */
  replay?: string;
  correlationId: string | null;
  gateway: "stripe";
  request: Exchange["request"];
  response: Exchange["response"];
  startedAt: Date;
  durationMs: number;
  outcome: Decision["kind"];
  declineCode?: string;
  error?: string;
}

export async function auditCollection(db: Db): Promise<Collection<AuditDoc>> {
  const coll = db.collection<AuditDoc>(AUDIT_COLLECTION);
  await coll.createIndex({ paymentId: 1, startedAt: 1 });
  await coll.createIndex({ startedAt: 1 });
  return coll;
}

const isDuplicateOnly = (err: unknown) =>
  err instanceof MongoBulkWriteError && Array.isArray(err.writeErrors) && err.writeErrors.length > 0 && err.writeErrors.every((w) => w.code === 11000);

export function auditWriter(coll: Collection<AuditDoc>, onRetry: (err: unknown, attempt: number) => void) {
  return async (docs: readonly AuditDoc[]): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await coll.insertMany([...docs], { ordered: false });
        return;
      } catch (err) {
        if (isDuplicateOnly(err)) return; // already stored by an earlier delivery
        onRetry(err, attempt);
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(attempt, 6))));
      }
    }
  };
}
