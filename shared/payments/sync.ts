/**
 * The status sync: a payment still PENDING, or a capture, cancel or refund still pending,
 * long after its last change (`staleMs`: longer than the workers' retry tiers) is handed to
 * its worker again through the outbox, marked as a replay (`x-replay: sync:<n>`), so the
 * worker first asks the connector what it holds (a retrieve, a find by payment id, Adyen's
 * replay of the same request) and converges the payment under the same guards as any answer.
 * Each is handed back at most `maxSyncs` times, `staleMs` apart; past that, the connector
 * could not say, and the dead-letter queue (where the worker parked it) waits for an
 * operator. A payment (or a payment's command) the worker parked in the DLQ is handed back
 * only when its retries ran out (`x-dlq-reason: exhausted`) at least `deadLetterAfterMs`
 * ago (an hour by default: the outage that exhausted them is likely over); a fatal or poison
 * letter is the operator's alone. Handed back sooner, it only ran through every retry tier
 * again and was parked again, over and over. A command an asynchronous connector received already (gateway_ref set: Adyen's
 * webhook settles it) is not handed back: that connector cannot be asked.
 * SKIP LOCKED: several sweepers never hand back the same row at once.
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import type { PaymentCreated } from "../events.ts";
import { Headers, Topics } from "../topics.ts";
import { publishCommand } from "./commands.ts";

export type SyncSettings = { staleMs: number; maxSyncs: number; deadLetterAfterMs: number; limit: number };

type StalePayment = {
  id: string;
  merchant_id: string;
  amount: number;
  currency: string;
  payment_method: string;
  customer_email: string;
  customer_name: string | null;
  capture_method: "automatic" | "manual";
  created_at: Date;
  sync_count: number;
};

type StaleCommand = {
  id: string;
  kind: "capture" | "cancel" | "refund";
  payment_id: string;
  merchant_id: string;
  amount: number | null;
  refund_id: string | null;
  sync_count: number;
};

const created = (p: StalePayment): PaymentCreated => ({
  v: 1,
  paymentId: p.id,
  merchantId: p.merchant_id,
  amount: p.amount,
  currency: p.currency.trim(),
  paymentMethod: p.payment_method,
  customer: p.customer_name === null ? { email: p.customer_email } : { email: p.customer_email, name: p.customer_name },
  createdAt: p.created_at.toISOString(),
  captureMethod: p.capture_method,
});

/** One sweep: how many payments and commands were handed back. */
export async function syncStale(sql: Sql, s: SyncSettings): Promise<{ payments: number; commands: number }> {
  return sql.begin(async (tx) => {
    const stale = `${s.staleMs} milliseconds`;
    const parked = `${s.deadLetterAfterMs} milliseconds`;
    const payments = await tx<StalePayment[]>`
      SELECT id, merchant_id, amount, currency, payment_method, customer_email, customer_name, capture_method, created_at, sync_count
        FROM payments
       WHERE status = 'PENDING' AND updated_at < now() - ${stale}::interval
         AND sync_count < ${s.maxSyncs} AND (synced_at IS NULL OR synced_at < now() - ${stale}::interval)
         AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.key = payments.id AND d.state = 'new'
                          AND (coalesce(d.headers->>${Headers.deadLetterReason}, '') <> 'exhausted' OR d.created_at > now() - ${parked}::interval))
       ORDER BY updated_at LIMIT ${s.limit}
         FOR UPDATE SKIP LOCKED`;
    for (const p of payments) {
      const headers = { [Headers.replay]: `sync:${p.sync_count + 1}` };
      await tx`INSERT INTO outbox (topic, key, payload, headers) VALUES (${Topics.paymentsCreated}, ${p.id}, ${tx.json(created(p))}, ${tx.json(headers)})`;
    }
    if (payments.length > 0) await tx`UPDATE payments SET synced_at = now(), sync_count = sync_count + 1 WHERE id = ANY(${payments.map((p) => p.id)})`;

    const commands = await tx<StaleCommand[]>`
      SELECT c.id, c.kind, c.payment_id, c.merchant_id, c.amount, c.refund_id, c.sync_count
        FROM payment_commands c
       WHERE c.state = 'pending' AND c.created_at < now() - ${stale}::interval
         AND c.sync_count < ${s.maxSyncs} AND (c.synced_at IS NULL OR c.synced_at < now() - ${stale}::interval)
         AND c.gateway_ref IS NULL
         AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.key = c.payment_id AND d.state = 'new'
                          AND (coalesce(d.headers->>${Headers.deadLetterReason}, '') <> 'exhausted' OR d.created_at > now() - ${parked}::interval))
       ORDER BY c.created_at LIMIT ${s.limit}
         FOR UPDATE SKIP LOCKED`;
    for (const c of commands) {
      await publishCommand(
        tx as TransactionSql,
        { id: c.id, kind: c.kind, paymentId: c.payment_id, merchantId: c.merchant_id, amount: c.amount, refundId: c.refund_id },
        { [Headers.replay]: `sync:${c.sync_count + 1}` },
      );
    }
    if (commands.length > 0) await tx`UPDATE payment_commands SET synced_at = now(), sync_count = sync_count + 1 WHERE id = ANY(${commands.map((c) => c.id)})`;
    return { payments: payments.length, commands: commands.length };
  });
}
