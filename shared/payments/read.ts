/**
 * Reading payments and refunds as their resources, one statement each: the payment's row,
 * its refunds and the capture or cancel in flight come back together (subqueries on
 * indexed columns), for GET, the list and the events a transition emits. Every query a
 * merchant can trigger is scoped by merchant_id.
 */
import type { Sql, TransactionSql } from "../db/client.ts";
import type { PaymentStatus } from "../events.ts";
import {
  type AttemptResource,
  PAYMENT_COLUMNS,
  REFUND_COLUMNS,
  toPaymentResource,
  toRefundResource,
  type PaymentResource,
  type PaymentRow,
  type PendingCommand,
  type RefundResource,
  type RefundRow,
} from "./resource.ts";

type Db = Sql | TransactionSql;
type JsonRefund = Omit<RefundRow, "created_at" | "updated_at" | "decided_at"> & { created_at: string; updated_at: string; decided_at: string | null };
type Joined = PaymentRow & { refunds: JsonRefund[]; pending_command: PendingCommand; attempts: AttemptResource[] };

const WITH_CHILDREN = `
  SELECT ${PAYMENT_COLUMNS},
         coalesce((SELECT json_agg(r ORDER BY r.id DESC) FROM (SELECT ${REFUND_COLUMNS} FROM refunds WHERE refunds.payment_id = payments.id) r), '[]') AS refunds,
         (SELECT json_build_object('id', c.id, 'kind', c.kind, 'amount', c.amount) FROM payment_commands c
           WHERE c.payment_id = payments.id AND c.state = 'pending' AND c.kind IN ('capture', 'cancel')) AS pending_command,
         coalesce((SELECT json_agg(json_build_object('connector', a.connector, 'reason', a.reason, 'outcome', a.outcome,
                                                     'started_at', to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                                     'finished_at', to_char(a.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY a.seq)
                     FROM payment_attempts a WHERE a.payment_id = payments.id), '[]') AS attempts
    FROM payments`;

const date = (s: string | null) => (s === null ? null : new Date(s));

function resourceOf(row: Joined): PaymentResource {
  const refunds: RefundRow[] = row.refunds.map((r) => ({
    ...r,
    created_at: new Date(r.created_at),
    updated_at: new Date(r.updated_at),
    decided_at: date(r.decided_at),
  }));
  return toPaymentResource(row, refunds, row.pending_command, row.attempts);
}

/** One payment; `merchantId` scopes it (omit only in workers, which act for every merchant). */
export async function readPayment(sql: Db, id: string, merchantId?: string): Promise<PaymentResource | undefined> {
  const rows = await (sql as Sql).unsafe<Joined[]>(`${WITH_CHILDREN} WHERE id = $1 AND ($2::text IS NULL OR merchant_id = $2)`, [id, merchantId ?? null], {
    prepare: true,
  });
  return rows[0] ? resourceOf(rows[0]) : undefined;
}

export type ListParams = { merchantId: string; limit: number; startingAfter?: string; status?: PaymentStatus };

/** Newest first. Ids are time-ordered, so the cursor is just "id below the last one seen". */
export async function listPayments(sql: Db, p: ListParams): Promise<{ data: PaymentResource[]; hasMore: boolean }> {
  const rows = await (sql as Sql).unsafe<Joined[]>(
    `${WITH_CHILDREN}
      WHERE merchant_id = $1
        AND ($2::text IS NULL OR id < $2)
        AND ($3::text IS NULL OR status = $3)
      ORDER BY id DESC
      LIMIT $4`,
    [p.merchantId, p.startingAfter ?? null, p.status ?? null, p.limit + 1],
    { prepare: true },
  );
  return { data: rows.slice(0, p.limit).map(resourceOf), hasMore: rows.length > p.limit };
}

export async function readRefund(sql: Db, id: string, merchantId?: string): Promise<RefundResource | undefined> {
  const rows = await (sql as Sql).unsafe<RefundRow[]>(
    `SELECT ${REFUND_COLUMNS} FROM refunds WHERE id = $1 AND ($2::text IS NULL OR merchant_id = $2)`,
    [id, merchantId ?? null],
    {
      prepare: true,
    },
  );
  return rows[0] ? toRefundResource(rows[0]) : undefined;
}

export type RefundListParams = { merchantId: string; paymentId?: string; limit: number; startingAfter?: string };

export async function listRefunds(sql: Db, p: RefundListParams): Promise<{ data: RefundResource[]; hasMore: boolean }> {
  const rows = await (sql as Sql).unsafe<RefundRow[]>(
    `SELECT ${REFUND_COLUMNS} FROM refunds
      WHERE merchant_id = $1
        AND ($2::text IS NULL OR payment_id = $2)
        AND ($3::text IS NULL OR id < $3)
      ORDER BY id DESC
      LIMIT $4`,
    [p.merchantId, p.paymentId ?? null, p.startingAfter ?? null, p.limit + 1],
    { prepare: true },
  );
  return { data: rows.slice(0, p.limit).map(toRefundResource), hasMore: rows.length > p.limit };
}
