/**
 * Payments SQL. Writes go through create_payments() (migrations 0002, 0003) on the primary;
 * reads take whichever pool the caller passes (the service decides replica vs primary).
 * Every query is scoped by merchant_id: a merchant can only ever see its own rows.
 */
import type { Sql } from "../../shared/db/client.ts";
import type { PaymentStatus } from "../../shared/events.ts";
import type { PaymentResource } from "./model.ts";

type PaymentRow = {
  id: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  payment_method: string;
  customer_email: string;
  customer_name: string | null;
  description: string | null;
  metadata: Record<string, string>;
  decline_code: string | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  decided_at: Date | null;
};

const COLUMNS = `id, status, amount, currency, payment_method, customer_email, customer_name, description,
  metadata, decline_code, last_error, created_at, updated_at, decided_at`;

export function toResource(r: PaymentRow): PaymentResource {
  return {
    id: r.id,
    object: "payment",
    status: r.status,
    amount: r.amount,
    currency: r.currency,
    payment_method: r.payment_method,
    customer: r.customer_name === null ? { email: r.customer_email } : { email: r.customer_email, name: r.customer_name },
    description: r.description,
    metadata: r.metadata,
    decline_code: r.decline_code,
    last_error: r.status === "PENDING" ? r.last_error : null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    decided_at: r.decided_at ? r.decided_at.toISOString() : null,
  };
}

export async function findPayment(sql: Sql, merchantId: string, id: string): Promise<PaymentResource | undefined> {
  const rows = await sql.unsafe<PaymentRow[]>(
    `SELECT ${COLUMNS} FROM payments WHERE merchant_id = $1 AND id = $2`,
    [merchantId, id],
    { prepare: true },
  );
  return rows[0] ? toResource(rows[0]) : undefined;
}

export type ListParams = { merchantId: string; limit: number; startingAfter?: string; status?: PaymentStatus };

/** Newest first. Ids are time-ordered, so the cursor is just "id below the last one seen". */
export async function listPayments(sql: Sql, p: ListParams): Promise<{ data: PaymentResource[]; hasMore: boolean }> {
  const rows = await sql.unsafe<PaymentRow[]>(
    `SELECT ${COLUMNS} FROM payments
      WHERE merchant_id = $1
        AND ($2::text IS NULL OR id < $2)
        AND ($3::text IS NULL OR status = $3)
      ORDER BY id DESC
      LIMIT $4`,
    [p.merchantId, p.startingAfter ?? null, p.status ?? null, p.limit + 1],
    { prepare: true },
  );
  return { data: rows.slice(0, p.limit).map(toResource), hasMore: rows.length > p.limit };
}

export type CreateItem = {
  lock: string;
  merchant_id: string;
  idempotency_key: string;
  fingerprint: string;
  topic: string;
  payment: Record<string, unknown>;
  event: unknown;
  headers: Record<string, string>;
  response_status: number;
  /** The serialised response, stored as text so a replay returns the very same bytes. */
  response_body: string;
};

export type CreateOutcome =
  | { outcome: "created" | "replayed"; status: number; body: string }
  | { outcome: "in_flight" | "mismatch" };

/** One statement, one transaction, however many items: see create_payments() in the migrations. */
export async function createPayments(sql: Sql, items: CreateItem[]): Promise<CreateOutcome[]> {
  const rows = await sql<{ o_idx: number; o_outcome: string; o_status: number | null; o_body: string | null }[]>`
    SELECT o_idx, o_outcome, o_status, o_body FROM create_payments(${sql.json(items as never)})`;
  const out: CreateOutcome[] = new Array(items.length);
  for (const r of rows) {
    out[r.o_idx] =
      r.o_outcome === "created" || r.o_outcome === "replayed"
        ? { outcome: r.o_outcome, status: r.o_status ?? 500, body: r.o_body ?? "" }
        : { outcome: r.o_outcome as "in_flight" | "mismatch" };
  }
  return out;
}
