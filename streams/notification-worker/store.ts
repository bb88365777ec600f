/**
 * The notification worker's SQL: the payment (and refund) it writes about, and the
 * send-once record (migrations 0010_notifications.sql, 0014_payment_lifecycle.sql). Claim
 * before SMTP, mark after acceptance.
 */
import { beginOn, isDatabaseUnavailable, type Sql } from "../../shared/db/client.ts";
import { purgeInBatches } from "../../shared/db/purge.ts";
import { GroupSink, transactionGroup } from "../engine/index.ts";
import type { NotificationKey } from "./mail-plan.ts";

export type { NotificationKey };

export type PaymentForMail = {
  id: string;
  merchant_id: string;
  merchant_name: string;
  status: string;
  /** What was authorized. */
  amount: number;
  /** What was taken (≤ amount; 0 until captured). */
  amount_captured: number;
  currency: string;
  customer_email: string;
  customer_name: string | null;
};

export type RefundForMail = {
  id: string;
  payment_id: string;
  status: string;
  amount: number;
  currency: string;
  /**
   * The payment's succeeded refunds up to and including this one, in the order they
   * succeeded: what the mail says is refunded "now". Fixed once the refund has succeeded,
   * so a resend after a crash says the same, whatever refunds followed.
   */
  refunded_through: number;
};

export type Claim = { readonly attempts: number; readonly messageId: string };

const MAX_ERROR = 500;
const bounded = (s: string) => (s.length > MAX_ERROR ? `${s.slice(0, MAX_ERROR - 1)}…` : s);

export function notificationStore(sql: Sql) {
  // Marks of concurrent handlers share one UPDATE and one commit (group commit: alone, a
  // mark is written at once; while one is written, the next ones gather).
  const marks = new GroupSink<NotificationKey>({
    name: "notifications.sent",
    maxItems: 500,
    write: async (keys) => {
      await sql`
        UPDATE notifications n SET state = 'sent', sent_at = now(), last_error = NULL
          FROM unnest(${keys.map((k) => k.paymentId)}::text[], ${keys.map((k) => k.status)}::text[]) AS k(payment_id, status)
         WHERE n.payment_id = k.payment_id AND n.status = k.status`;
    },
  });
  // Claims too: each its own statement, those of concurrent handlers under one commit.
  const claims = transactionGroup({ name: "notifications.claim", maxItems: 100, concurrency: 4, begin: beginOn(sql), unitless: isDatabaseUnavailable });
  return {
    /** Deletes claims sent more than `keepHours` ago, in small batches; failed and claimed rows stay. */
    purgeSent(keepHours: number): Promise<number> {
      return purgeInBatches(sql, "notifications", sql`state = 'sent' AND sent_at < now() - make_interval(hours => ${keepHours})`, sql`sent_at`, {
        batch: 2000,
      });
    },
    async loadPayment(paymentId: string): Promise<PaymentForMail | undefined> {
      const [row] = await sql<PaymentForMail[]>`
        SELECT p.id, p.merchant_id, m.name AS merchant_name, p.status, p.amount, p.amount_captured, trim(p.currency) AS currency,
               p.customer_email, p.customer_name
          FROM payments p JOIN merchants m ON m.id = p.merchant_id
         WHERE p.id = ${paymentId}`;
      return row;
    },

    async loadRefund(refundId: string): Promise<RefundForMail | undefined> {
      const [row] = await sql<RefundForMail[]>`
        SELECT r.id, r.payment_id, r.status, r.amount, trim(r.currency) AS currency,
               (SELECT coalesce(sum(o.amount), 0)::int FROM refunds o
                 WHERE o.payment_id = r.payment_id AND o.status = 'succeeded'
                   AND (o.decided_at, o.id) <= (r.decided_at, r.id)) AS refunded_through
          FROM refunds r
         WHERE r.id = ${refundId}`;
      return row;
    },

    /**
     * Takes the right to send, or returns null when the mail was already sent (or failed for
     * good, unless `reclaimFailed`). A row still 'claimed' is a send that crashed or failed
     * transiently: it is claimed again and keeps its original Message-ID.
     */
    claim(k: NotificationKey, messageId: string, reclaimFailed: boolean): Promise<Claim | null> {
      return claims.run(async (tx) => {
        const [row] = await tx<{ attempts: number; message_id: string }[]>`
        INSERT INTO notifications (payment_id, status, message_id, state, attempts, claimed_at)
        VALUES (${k.paymentId}, ${k.status}, ${messageId}, 'claimed', 1, now())
        ON CONFLICT (payment_id, status) DO UPDATE
           SET attempts = notifications.attempts + 1, claimed_at = now(), state = 'claimed'
         WHERE notifications.state = 'claimed' OR (${reclaimFailed}::boolean AND notifications.state = 'failed')
        RETURNING attempts, message_id`;
        return row ? { attempts: row.attempts, messageId: row.message_id } : null;
      });
    },

    /** Resolves once the mark is committed. */
    markSent(k: NotificationKey): Promise<void> {
      return marks.add(k);
    },

    /** A transient failure: the claim stays, the next delivery of the record tries again. */
    async recordError(k: NotificationKey, error: string): Promise<void> {
      await sql`
        UPDATE notifications SET last_error = ${bounded(error)}
         WHERE payment_id = ${k.paymentId} AND status = ${k.status} AND state = 'claimed'`;
    },

    async markFailed(k: NotificationKey, error: string): Promise<void> {
      await sql`
        UPDATE notifications SET state = 'failed', last_error = ${bounded(error)}
         WHERE payment_id = ${k.paymentId} AND status = ${k.status} AND state = 'claimed'`;
    },
  };
}

/** What the worker uses per message; the purge runs beside it, from main.ts. */
export type NotificationStore = Omit<ReturnType<typeof notificationStore>, "purgeSent">;
