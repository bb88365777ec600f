/**
 * Which connector holds a pending payment, and each attempt at one (payment_attempts).
 *
 * Every payment is assigned to a connector BEFORE the first request goes out, so a
 * redelivery after a crash, whatever the routing rules or circuit breakers say by then,
 * asks the connector that may hold the charge and never charges elsewhere. Moving to the
 * next connector (a failover) is allowed only from a connector known not to have processed
 * the payment, and is guarded by the connector it leaves.
 */
import type { Sql, TransactionSql } from "../db/client.ts";

export type AttemptReason = "route" | "split" | "failover" | "fallback";

/**
 * Assigns the payment to `connector` unless it already is to one (an earlier delivery's):
 * the connector it is assigned to now, and whether this call assigned it. One statement.
 */
export async function assignConnector(
  sql: Sql | TransactionSql,
  paymentId: string,
  connector: string,
  reason: AttemptReason,
): Promise<{ connector: string; fresh: boolean }> {
  const [row] = await (sql as Sql)<{ assigned: string | null; held: string | null }[]>`
    WITH assigned AS (
      UPDATE payments SET connector = ${connector}, updated_at = now()
       WHERE id = ${paymentId} AND connector IS NULL AND status = 'PENDING' RETURNING id, connector
    ), attempt AS (
      INSERT INTO payment_attempts (payment_id, seq, connector, reason) SELECT id, 1, connector, ${reason} FROM assigned ON CONFLICT DO NOTHING
    )
    SELECT (SELECT connector FROM assigned) AS assigned, (SELECT connector FROM payments WHERE id = ${paymentId}) AS held`;
  if (row?.assigned) return { connector: row.assigned, fresh: true };
  return { connector: row?.held ?? connector, fresh: false };
}

/**
 * A delivery that did not assign the payment takes its attempt at `connector` up again
 * (it may send a request there), which rules out a failover from that attempt by another
 * delivery still at it. False when the payment has left `connector` meanwhile (reload it).
 */
export async function resumeAttempt(sql: Sql, paymentId: string, connector: string): Promise<boolean> {
  const [row] = await sql<{ resumed: boolean; attempts: number }[]>`
    WITH resumed AS (
      UPDATE payment_attempts SET resumed = resumed + 1
       WHERE payment_id = ${paymentId} AND connector = ${connector} AND finished_at IS NULL
         AND seq = (SELECT max(seq) FROM payment_attempts WHERE payment_id = ${paymentId})
      RETURNING seq
    )
    SELECT EXISTS (SELECT 1 FROM resumed) AS resumed, (SELECT count(*)::int FROM payment_attempts WHERE payment_id = ${paymentId}) AS attempts`;
  // No attempt on record: a payment from before attempts were recorded, at its only connector.
  return row!.resumed || row!.attempts === 0;
}

/**
 * Leaves `from` (which did not process the payment: `why`) for `to`: a fresh ref and key
 * there. False, and nothing changes, when the payment is no longer pending at `from`, or
 * when another delivery took the attempt at `from` up meanwhile (it may have sent there).
 */
export async function failOver(sql: Sql, p: { paymentId: string; from: string; to: string; why: string }): Promise<boolean> {
  const why = `not processed: ${p.why}`.slice(0, 200);
  return sql
    .begin(async (tx) => {
      const [left] = await tx<{ seq: number }[]>`
      UPDATE payment_attempts SET outcome = ${why}, finished_at = now()
       WHERE payment_id = ${p.paymentId} AND connector = ${p.from} AND finished_at IS NULL AND resumed = 0
         AND seq = (SELECT max(seq) FROM payment_attempts WHERE payment_id = ${p.paymentId})
      RETURNING seq`;
      if (!left) return false;
      const moved = await tx`
      UPDATE payments SET connector = ${p.to}, gateway_intent_id = NULL, gateway_key_seq = 0, last_error = ${`failed over from ${p.from}: ${p.why}`.slice(0, 500)}, updated_at = now()
       WHERE id = ${p.paymentId} AND status = 'PENDING' AND connector = ${p.from} RETURNING id`;
      if (moved.length === 0) throw new FailoverLost();
      await tx`INSERT INTO payment_attempts (payment_id, seq, connector, reason) VALUES (${p.paymentId}, ${left.seq + 1}, ${p.to}, 'failover')`;
      return true;
    })
    .catch((err: unknown) => {
      if (err instanceof FailoverLost) return false;
      throw err;
    });
}

/** Rolls a failover back: the payment was decided or moved while its attempt looked open. */
class FailoverLost extends Error {}
