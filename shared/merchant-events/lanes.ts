/**
 * Delivery lanes, shared by the webhook dispatcher (Node) and the API's resend (Bun).
 *
 * A lane is (endpoint, payment). Its pending deliveries go out one at a time in event order:
 * only the one with the lowest event_seq may be attempted (the claim query checks this), and
 * the others wait with next_attempt_at NULL so the claim never scans them. Whoever changes a
 * lane's pending set (intake, an attempt's end, a resend, the purge) holds the payment's
 * advisory lock and calls activateLaneHeads afterwards, so a waiting delivery whose
 * predecessor just became final is made due in the same transaction.
 */
import type { Sql, TransactionSql } from "../db/client.ts";

type Tx = Sql | TransactionSql;

/** First key of the two-key advisory locks on a payment's lanes (any fixed int4). */
const LANE_LOCK_CLASS = 727_013;

export async function lockPaymentLanes(tx: Tx, paymentId: string): Promise<void> {
  await (tx as Sql)`SELECT pg_advisory_xact_lock(${LANE_LOCK_CLASS}, hashtext(${paymentId}))`;
}

/** Makes the head of each of the payment's lanes due if it is waiting and its endpoint is enabled. */
export async function activateLaneHeads(tx: Tx, paymentId: string): Promise<number> {
  const res = await (tx as Sql)`
    UPDATE webhook_deliveries d SET next_attempt_at = now()
      FROM (SELECT DISTINCT ON (endpoint_id) id, endpoint_id
              FROM webhook_deliveries
             WHERE payment_id = ${paymentId} AND state = 'pending'
             ORDER BY endpoint_id, event_seq) AS head,
           webhook_endpoints e
     WHERE d.id = head.id AND d.next_attempt_at IS NULL AND e.id = head.endpoint_id AND e.enabled`;
  return res.count;
}

export type ReopenedDelivery = { endpoint_id: string };

/**
 * Makes the event's delivery to each endpoint pending again (creating it when missing): a
 * merchant's resend, an operator's replay of a dead letter. A delivered or dead one starts a
 * new round of attempts (a fresh give-up clock) in its lane's order; one still pending keeps
 * its place and its round, and a retry it was waiting for is brought forward to now. Takes
 * the payment's lane lock itself.
 */
export async function reopenDeliveries(
  tx: TransactionSql,
  event: { id: string; payment_id: string },
  endpointIds: readonly string[],
): Promise<ReopenedDelivery[]> {
  if (endpointIds.length === 0) return [];
  await lockPaymentLanes(tx, event.payment_id);
  const rows = await tx<ReopenedDelivery[]>`
    INSERT INTO webhook_deliveries (event_id, endpoint_id, merchant_id, payment_id, event_seq, pool, state, next_attempt_at)
    SELECT ev.id, ep.id, ev.merchant_id, ev.payment_id, ev.seq, ep.pool, 'pending', NULL
      FROM events ev JOIN webhook_endpoints ep ON ep.merchant_id = ev.merchant_id
     WHERE ev.id = ${event.id} AND ep.id = ANY(${endpointIds as string[]}::text[]) AND ep.deleted_at IS NULL
    ON CONFLICT (event_id, endpoint_id) DO UPDATE SET
      resends          = webhook_deliveries.resends + 1,
      next_attempt_at  = CASE WHEN webhook_deliveries.state = 'pending' AND webhook_deliveries.next_attempt_at IS NOT NULL
                              THEN least(webhook_deliveries.next_attempt_at, now()) END,
      attempts         = CASE WHEN webhook_deliveries.state = 'pending' THEN webhook_deliveries.attempts ELSE 0 END,
      first_attempt_at = CASE WHEN webhook_deliveries.state = 'pending' THEN webhook_deliveries.first_attempt_at END,
      state            = 'pending',
      dead_at          = NULL,
      dead_reason      = NULL
    RETURNING endpoint_id`;
  await activateLaneHeads(tx, event.payment_id);
  return rows;
}
