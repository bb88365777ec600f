/**
 * What must hold after a chaos run has drained. Each check returns a line for
 * the report and whether it holds.
 */
import type { MongoClient } from "mongodb";
import type postgres from "postgres";
import { loadStackEnv } from "../../shared/config.ts";
import { Topics } from "../../shared/topics.ts";
import type { Created } from "./load.ts";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

type Db = postgres.Sql;
type Row = { id: string; status: string; dead: boolean; results: number; sent: boolean };

/** One row per payment of the run; joins on the id list (not a subquery per payment) so 36,000 ids stay fast. */
export async function paymentRows(db: Db, ids: string[]): Promise<Map<string, Row>> {
  const rows = await db<Row[]>`
    WITH ids AS (SELECT unnest(${ids}::text[]) AS id),
         results AS (SELECT o.key, count(*)::int AS n FROM outbox o JOIN ids ON o.key = ids.id
                      WHERE o.topic = ${Topics.paymentsResults} GROUP BY o.key),
         dead AS (SELECT DISTINCT d.key FROM dead_letters d JOIN ids ON d.key = ids.id),
         sent AS (SELECT n.payment_id, n.status FROM notifications n JOIN ids ON n.payment_id = ids.id WHERE n.state = 'sent')
    SELECT p.id, p.status, dead.key IS NOT NULL AS dead, coalesce(results.n, 0) AS results,
           sent.payment_id IS NOT NULL AS sent
      FROM payments p JOIN ids ON p.id = ids.id
      LEFT JOIN results ON results.key = p.id
      LEFT JOIN dead ON dead.key = p.id
      LEFT JOIN sent ON sent.payment_id = p.id AND sent.status = p.status`;
  return new Map(rows.map((r) => [r.id, r]));
}

export function lost(created: Created[], rows: Map<string, Row>): Check {
  const missing = created.filter((c) => !rows.has(c.id)).length;
  const unexplained = created.filter((c) => rows.get(c.id)?.status === "PENDING" && !rows.get(c.id)?.dead).length;
  const deadLettered = created.filter((c) => rows.get(c.id)?.status === "PENDING" && rows.get(c.id)?.dead).length;
  return {
    name: "lost payments",
    ok: missing === 0 && unexplained === 0,
    detail: `${missing + unexplained} lost (${missing} missing, ${unexplained} pending without a dead letter); ${created.length - deadLettered} final, ${deadLettered} pending with a dead letter`,
  };
}

export async function doubleCharges(created: Created[], rows: Map<string, Row>): Promise<Check> {
  const res = await fetch(`${loadStackEnv().STRIPE_API_BASE}/__admin/charges`);
  const ledger = (await res.json()) as { byPaymentId: Record<string, number> };
  const ids = created.map((c) => c.id);
  const double = ids.filter((id) => (ledger.byPaymentId[id] ?? 0) > 1).length;
  const approvedUncharged = ids.filter((id) => rows.get(id)?.status === "APPROVED" && (ledger.byPaymentId[id] ?? 0) !== 1).length;
  const deniedCharged = ids.filter((id) => rows.get(id)?.status !== "APPROVED" && (ledger.byPaymentId[id] ?? 0) > 0).length;
  return {
    name: "double charges",
    ok: double === 0 && approvedUncharged === 0 && deniedCharged === 0,
    detail: `${double} double charges; ${approvedUncharged} approved without exactly one charge; ${deniedCharged} not approved yet charged`,
  };
}

export async function resultsAndEmails(created: Created[], rows: Map<string, Row>): Promise<Check> {
  const final = created.map((c) => rows.get(c.id)).filter((r): r is Row => r !== undefined && r.status !== "PENDING");
  const results = final.filter((r) => r.results !== 1).length;
  const unsent = final.filter((r) => !r.sent).length;
  // Every mail in Mailpit by Message-ID: one per final payment; a duplicate only ever with the same id.
  const counts = new Map<string, number>();
  const mailpit = loadStackEnv().MAILPIT_URL;
  for (let start = 0; ; start += 1000) {
    const page = (await (await fetch(`${mailpit}/api/v1/messages?start=${start}&limit=1000`)).json()) as { messages: { MessageID: string }[]; total: number };
    for (const m of page.messages) counts.set(m.MessageID, (counts.get(m.MessageID) ?? 0) + 1);
    if (page.messages.length === 0 || start + 1000 >= page.total) break;
  }
  const idOf = (r: Row) => `${r.id}-${r.status.toLowerCase()}@`;
  const byPayment = new Map<string, number>();
  for (const [mid, n] of counts) {
    const m = /^<?(pay_[0-9a-f]+-(approved|denied)@)/.exec(mid);
    if (m?.[1]) byPayment.set(m[1], (byPayment.get(m[1]) ?? 0) + n);
  }
  const noMail = final.filter((r) => !byPayment.has(idOf(r))).length;
  const duplicates = final.reduce((n, r) => n + Math.max(0, (byPayment.get(idOf(r)) ?? 0) - 1), 0);
  return {
    name: "results and emails",
    ok: results === 0 && unsent === 0 && noMail === 0,
    detail: `${final.length} final: ${results} without exactly one PaymentResult, ${unsent} not marked sent, ${noMail} without a mail in Mailpit; ${duplicates} duplicate mails (same Message-ID)`,
  };
}

export async function auditComplete(mongo: MongoClient, created: Created[], rows: Map<string, Row>, since: Date): Promise<Check> {
  const ids = created.map((c) => c.id);
  const mine = new Set(ids);
  // One pass over this run's documents, filtered here: a $in of tens of thousands of ids is
  // evaluated per document by the local audit store, which takes minutes at that size.
  const docs = (
    await mongo
      .db()
      .collection<{ paymentId: string; attempt: number; outcome: string; replay?: string; startedAt: Date }>("gateway_attempts")
      .find({ startedAt: { $gte: since } }, { projection: { paymentId: 1, attempt: 1, outcome: 1, replay: 1 } })
      .toArray()
  ).filter((d) => mine.has(d.paymentId) && d.replay === undefined);
  const byPayment = new Map<string, number[]>();
  for (const d of docs) byPayment.set(d.paymentId, [...(byPayment.get(d.paymentId) ?? []), d.attempt]);
  const ledger = (await (await fetch(`${loadStackEnv().STRIPE_API_BASE}/__admin/charges`)).json()) as { attempts: { byPaymentId: Record<string, number> } };
  let gaps = 0;
  let unaudited = 0;
  for (const id of ids) {
    const attempts = (byPayment.get(id) ?? []).sort((a, b) => a - b);
    if (attempts.some((a, i) => a !== i + 1)) gaps++;
    if ((ledger.attempts.byPaymentId[id] ?? 0) > 0 && attempts.length === 0) unaudited++;
    if (rows.get(id)?.status !== "PENDING" && attempts.length === 0) unaudited++;
  }
  return { name: "gateway attempts audited", ok: gaps === 0 && unaudited === 0, detail: `${docs.length} audit documents; ${unaudited} payments with gateway calls but no audit, ${gaps} with a gap in attempt numbers` };
}

export async function drained(db: Db): Promise<Check> {
  const [o] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`;
  const lag = await consumerLag();
  return { name: "drained", ok: (o?.n ?? 1) === 0 && lag === 0, detail: `${o?.n} outbox rows unpublished; consumer lag ${lag}` };
}

/** Records received but not committed, summed over every stream service (stream_commit_lag). */
export async function consumerLag(): Promise<number> {
  let lag = 0;
  for (const port of Object.values(loadStackEnv().METRICS_PORTS)) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => "");
    for (const line of text.split("\n")) if (line.startsWith("stream_commit_lag{")) lag += Number(line.split(" ").at(-1)) || 0;
  }
  return lag;
}
