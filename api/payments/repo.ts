/**
 * The create's SQL: create_payments() (migrations 0002-0004, 0014) on the primary. Reads
 * are shared/payments/read.ts, which the workers' events use too.
 */
import type { Sql } from "../../shared/db/client.ts";

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

export type CreateOutcome = { outcome: "created" | "replayed"; status: number; body: string } | { outcome: "in_flight" | "mismatch" };

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
