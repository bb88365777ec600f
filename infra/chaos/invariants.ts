/**
 * What must hold after a chaos run has drained. Each check returns a line for
 * the report and whether it holds.
 */
import type { MongoClient } from "mongodb";
import type postgres from "postgres";
import { loadStackEnv } from "../../shared/config.ts";
import { CONNECTORS } from "../../shared/connectors/types.ts";
import { compare } from "../../shared/reconcile/compare.ts";
import type { Mismatch } from "../../shared/reconcile/model.ts";
import { paymentsById } from "../../shared/reconcile/platform.ts";
import { loadReconcileSources } from "../../shared/reconcile/sources.ts";
import { OUTBOX_QUARANTINE, Topics } from "../../shared/topics.ts";
import type { Receiver } from "../../test/webhooks/receiver.ts";
import type { Created } from "./load.ts";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

type Db = postgres.Sql;
/**
 * One row per payment of the run. `decisions`: PaymentResults deciding it (one exactly,
 * whatever follows: captures, cancels and refunds announce themselves apart);
 * `mails`: the customer mails it must have (APPROVED or DENIED for a decision, CAPTURED for
 * a held payment's capture, REFUND:<id> for each succeeded refund; none for a hold or a
 * cancel); `sent`: those marked sent.
 */
type Row = { id: string; status: string; connector: string | null; settled: boolean; dead: boolean; decisions: number; mails: string[]; sent: string[] };

/** The gateways' simulators, by connector: each keeps its own ledger and request log. */
const gateways = (): Record<string, string> => ({ stripe: loadStackEnv().STRIPE_API_BASE, adyen: loadStackEnv().ADYEN_API_BASE });

/**
 * One query, joining on the id list (not a subquery per payment). The outbox has no index on
 * its key (writers should not pay for a check), so its decisions are read from the rows
 * written after `outboxAfter` (the run's first), over the primary key: the run's own rows,
 * not every earlier run's.
 */
export async function paymentRows(db: Db, ids: string[], outboxAfter = "0"): Promise<Map<string, Row>> {
  const rows = await db<Row[]>`
    WITH ids AS (SELECT unnest(${ids}::text[]) AS id),
         decisions AS (SELECT o.key, count(*)::int AS n FROM outbox o JOIN ids ON o.key = ids.id
                        WHERE o.id > ${outboxAfter}::bigint AND o.topic = ${Topics.paymentsResults} AND coalesce(o.payload->>'kind', 'decided') = 'decided' GROUP BY o.key),
         dead AS (SELECT DISTINCT d.key FROM dead_letters d JOIN ids ON d.key = ids.id),
         sent AS (SELECT n.payment_id, array_agg(n.status) AS keys FROM notifications n JOIN ids ON n.payment_id = ids.id WHERE n.state = 'sent' GROUP BY n.payment_id),
         refunds AS (SELECT r.payment_id, array_agg('REFUND:' || r.id) AS keys FROM refunds r JOIN ids ON r.payment_id = ids.id WHERE r.status = 'succeeded' GROUP BY r.payment_id)
    SELECT p.id, p.status, p.connector, p.status NOT IN ('PENDING', 'AUTHORIZED') AS settled, dead.key IS NOT NULL AS dead, coalesce(decisions.n, 0) AS decisions,
           (CASE WHEN p.status = 'DENIED' THEN ARRAY['DENIED']
                 WHEN p.status = 'APPROVED' AND p.capture_method = 'automatic' THEN ARRAY['APPROVED']
                 WHEN p.status = 'APPROVED' THEN ARRAY['CAPTURED']
                 ELSE ARRAY[]::text[] END) || coalesce(refunds.keys, ARRAY[]::text[]) AS mails,
           coalesce(sent.keys, ARRAY[]::text[]) AS sent
      FROM payments p JOIN ids ON p.id = ids.id
      LEFT JOIN decisions ON decisions.key = p.id
      LEFT JOIN dead ON dead.key = p.id
      LEFT JOIN sent ON sent.payment_id = p.id
      LEFT JOIN refunds ON refunds.payment_id = p.id`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** A payment still waiting (pending, or held and never captured nor voided) with no dead letter to say why. */
const waiting = (r: Row | undefined) => r !== undefined && !r.settled && !r.dead;

export function lost(created: Created[], rows: Map<string, Row>): Check {
  const missing = created.filter((c) => !rows.has(c.id)).length;
  const unexplained = created.filter((c) => waiting(rows.get(c.id))).length;
  const deadLettered = created.filter((c) => !rows.get(c.id)?.settled && rows.get(c.id)?.dead).length;
  return {
    name: "lost payments",
    ok: missing === 0 && unexplained === 0,
    detail: `${missing + unexplained} lost (${missing} missing, ${unexplained} pending or held without a dead letter); ${created.length - deadLettered} final, ${deadLettered} not final with a dead letter`,
  };
}

/** True while a payment still owes something: its decision, a mail, or a pending state without a dead letter. */
export const unsettled = (r: Row | undefined): boolean =>
  r === undefined || waiting(r) || (r.settled && (r.decisions !== 1 || r.mails.some((m) => !r.sent.includes(m))));

/**
 * Charges summed over every connector's ledger: at most one per payment (a failover never
 * charges twice), exactly one for an approved payment, at the connector the payment says.
 */
export async function doubleCharges(created: Created[], rows: Map<string, Row>): Promise<Check> {
  const ledgers = await Promise.all(
    Object.entries(gateways()).map(
      async ([name, base]) => [name, ((await (await fetch(`${base}/__admin/charges`)).json()) as { byPaymentId: Record<string, number> }).byPaymentId] as const,
    ),
  );
  const ids = created.map((c) => c.id);
  const total = (id: string) => ledgers.reduce((n, [, l]) => n + (l[id] ?? 0), 0);
  const at = (id: string, connector: string | null | undefined) => ledgers.find(([name]) => name === connector)?.[1][id] ?? 0;
  const double = ids.filter((id) => total(id) > 1).length;
  const approvedUncharged = ids.filter((id) => rows.get(id)?.status === "APPROVED" && (total(id) !== 1 || at(id, rows.get(id)?.connector) !== 1)).length;
  const deniedCharged = ids.filter((id) => rows.get(id)?.status !== "APPROVED" && total(id) > 0).length;
  const byConnector = ledgers.map(([name]) => `${ids.filter((id) => rows.get(id)?.connector === name).length} at ${name}`).join(", ");
  return {
    name: "at most one charge across connectors",
    ok: double === 0 && approvedUncharged === 0 && deniedCharged === 0,
    detail: `${byConnector}: ${double} charged more than once over both ledgers; ${approvedUncharged} approved without exactly one charge at its connector; ${deniedCharged} not approved yet charged`,
  };
}

/** Mail Message-IDs name the payment and what the mail is about: approved, denied, captured, refund-<id>. */
const MESSAGE_ID = /^<?(pay_[0-9a-f]+)-(approved|denied|captured|refund-(re_[0-9a-f]+))@/;
const mailKey = (m: RegExpExecArray) => (m[3] ? `REFUND:${m[3]}` : m[2]!.toUpperCase());

export async function resultsAndEmails(created: Created[], rows: Map<string, Row>): Promise<Check> {
  const final = created.map((c) => rows.get(c.id)).filter((r): r is Row => r?.settled === true);
  const decisions = final.filter((r) => r.decisions !== 1).length;
  const expected = final.reduce((n, r) => n + r.mails.length, 0);
  const unsent = final.reduce((n, r) => n + r.mails.filter((m) => !r.sent.includes(m)).length, 0);
  // Every mail in Mailpit by Message-ID; a duplicate only ever with the same id.
  const inbox = new Map<string, number>(); // "<payment> <key>" → copies
  const mailpit = loadStackEnv().MAILPIT_URL;
  for (let start = 0; ; start += 1000) {
    const page = (await (await fetch(`${mailpit}/api/v1/messages?start=${start}&limit=1000`)).json()) as { messages: { MessageID: string }[]; total: number };
    for (const msg of page.messages) {
      const m = MESSAGE_ID.exec(msg.MessageID);
      if (m) inbox.set(`${m[1]} ${mailKey(m)}`, (inbox.get(`${m[1]} ${mailKey(m)}`) ?? 0) + 1);
    }
    if (page.messages.length === 0 || start + 1000 >= page.total) break;
  }
  let noMail = 0;
  let duplicates = 0;
  for (const r of final) {
    for (const key of r.mails) {
      const n = inbox.get(`${r.id} ${key}`) ?? 0;
      if (n === 0) noMail++;
      duplicates += Math.max(0, n - 1);
    }
  }
  return {
    name: "results and emails",
    ok: decisions === 0 && unsent === 0 && noMail === 0,
    detail: `${final.length} final, ${expected} mails owed: ${decisions} payments without exactly one deciding PaymentResult, ${unsent} mails not marked sent, ${noMail} not in Mailpit; ${duplicates} duplicate mails (same Message-ID)`,
  };
}

type GatewayRequest = { seq: number; exchangeId: string | null; paymentId: string | null; status: number | "reset" | null; fault: string | null };
type ExchangeDoc = { _id: string; paymentId: string; response: { status: number | null } };

/** Each simulator's own log of every request it received, page by page. */
async function gatewayRequests(): Promise<GatewayRequest[]> {
  const out: GatewayRequest[] = [];
  for (const base of Object.values(gateways())) {
    for (let after = 0; ; ) {
      const page = ((await (await fetch(`${base}/__admin/requests?after_seq=${after}&limit=10000`)).json()) as { data: GatewayRequest[] }).data;
      out.push(...page);
      if (page.length < 10_000) break;
      after = page.at(-1)!.seq;
    }
  }
  return out;
}

/**
 * The gateway's request log against the audit store, request by request: every request the
 * gateway received about this run's payments carries an exchange id with a journal entry
 * written before it was sent and, once answered, exactly one audit document whose recorded
 * answer is what the gateway sent (none where it reset the connection; none or the real one
 * where it held the connection past the client's timeout). A journal entry without a document
 * is an exchange a killed worker was waiting on; a document with no request never reached the
 * gateway, so it may record no answer.
 */
export async function auditPerRequest(mongo: MongoClient, paymentIds: readonly string[], since: Date): Promise<Check> {
  const mine = new Set(paymentIds);
  const requests = (await gatewayRequests()).filter((r) => r.paymentId !== null && mine.has(r.paymentId));
  // One pass over this run's documents, filtered here: a $in of tens of thousands of ids is
  // evaluated per document by the local audit store, which takes minutes at that size.
  const read = <T extends { paymentId: string }>(name: string, projection: Record<string, 1>) =>
    mongo
      .db()
      .collection(name)
      .find({ startedAt: { $gte: since } }, { projection })
      .toArray()
      .then((d) => (d as unknown as T[]).filter((x) => mine.has(x.paymentId)));
  const journal = new Set((await read<{ _id: string; paymentId: string }>("gateway_requests", { paymentId: 1 })).map((d) => d._id));
  const docs = await read<ExchangeDoc>("gateway_attempts", { paymentId: 1, "response.status": 1 });
  const byId = new Map(docs.map((d) => [d._id, d]));
  const seen = new Set<string>();
  let unjournaled = 0;
  let twice = 0;
  let disagree = 0;
  let interrupted = 0;
  for (const r of requests) {
    if (r.exchangeId === null || !journal.has(r.exchangeId)) {
      unjournaled++;
      continue;
    }
    if (seen.has(r.exchangeId)) twice++;
    seen.add(r.exchangeId);
    const doc = byId.get(r.exchangeId);
    if (!doc) {
      interrupted++;
      continue;
    }
    const recorded = doc.response.status;
    const ok = r.status === "reset" ? recorded === null : r.fault?.startsWith("hang") ? recorded === null || recorded === r.status : recorded === r.status;
    if (!ok) disagree++;
  }
  const phantom = docs.filter((d) => !seen.has(d._id) && d.response.status !== null).length;
  return {
    name: "every gateway request audited",
    ok: unjournaled === 0 && twice === 0 && disagree === 0 && phantom === 0,
    detail:
      `${requests.length} gateway requests, ${docs.length} audit documents: ${unjournaled} requests sent without a journal entry, ${twice} exchanges sent twice, ` +
      `${disagree} documents disagreeing with the gateway's answer, ${phantom} answers the gateway never sent; ${interrupted} answers lost with a killed worker`,
  };
}

/** Outbox rows the producer refused for good: each quarantined with a dead letter, never published. */
export async function quarantined(db: Db, outboxIds: readonly string[]): Promise<Check> {
  const rows = await db<{ id: string; published: boolean; quarantined: boolean; letter: boolean }[]>`
    SELECT o.id::text, o.published_at IS NOT NULL AS published, o.quarantined_at IS NOT NULL AS quarantined,
           EXISTS (SELECT 1 FROM dead_letters d WHERE d.topic = ${OUTBOX_QUARANTINE} AND d."offset" = o.id) AS letter
      FROM outbox o WHERE o.id = ANY(${outboxIds}::bigint[])`;
  const good = rows.filter((r) => r.quarantined && r.letter && !r.published).length;
  return {
    name: "poisoned outbox rows quarantined",
    ok: good === outboxIds.length,
    detail: `${good} of ${outboxIds.length} poisoned rows quarantined with a dead letter (the rows behind them published)`,
  };
}

type MoneyRow = {
  id: string;
  status: string;
  connector: string | null;
  amount: number;
  captured: number;
  refunded: number;
  reserved: number;
  open_refunds: number;
  open_commands: number;
};

/**
 * The money, payment by payment, for every payment of the run that was held or refunded:
 * the database's captured and refunded amounts equal its connector's ledger, nothing was
 * captured beyond the authorization nor refunded beyond the capture, and no command or
 * refund is left pending.
 */
export async function moneyMatchesLedger(db: Db, paymentIds: readonly string[]): Promise<Check> {
  const rows = await db<MoneyRow[]>`
    WITH ids AS (SELECT unnest(${paymentIds}::text[]) AS id)
    SELECT p.id, p.status, p.connector, p.amount, p.amount_captured AS captured, p.amount_refunded AS refunded, p.amount_refund_reserved AS reserved,
           (SELECT count(*) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'pending')::int AS open_refunds,
           (SELECT count(*) FROM payment_commands c WHERE c.payment_id = p.id AND c.state = 'pending')::int AS open_commands
      FROM payments p JOIN ids ON ids.id = p.id
     WHERE p.capture_method = 'manual' OR EXISTS (SELECT 1 FROM payment_commands c WHERE c.payment_id = p.id)`;
  const sims = gateways();
  let mismatched = 0;
  let over = 0;
  let open = 0;
  let refunds = 0;
  for (const r of rows) {
    const ledger = (await (await fetch(`${sims[r.connector ?? "stripe"]}/__admin/charges/${r.id}`)).json()) as {
      captured: number;
      refunded: number;
      pendingRefunds: number;
      authorized: number;
      refunds: unknown[];
    };
    refunds += ledger.refunds.length;
    if (ledger.captured !== r.captured || ledger.refunded !== r.refunded) mismatched++;
    if (
      r.captured > r.amount ||
      r.refunded > r.captured ||
      r.reserved > r.captured ||
      ledger.captured > ledger.authorized ||
      ledger.refunded + ledger.pendingRefunds > ledger.captured
    )
      over++;
    if (r.open_refunds > 0 || r.open_commands > 0) open++;
  }
  return {
    name: "captures and refunds match the gateway",
    ok: mismatched === 0 && over === 0 && open === 0,
    detail: `${rows.length} payments held or refunded (${refunds} refunds at the gateway): ${mismatched} whose captured or refunded amount differs from the gateway's ledger, ${over} over-captured or over-refunded, ${open} with a command still pending`,
  };
}

/**
 * The reconciliation's own rules (shared/reconcile/compare.ts) over the run's settled
 * payments, against what each connector lists or reports (Stripe's list API, Adyen's payment
 * accounting report): no payment missing at its gateway, none charged at the other one, no
 * amount that differs. The simulators' clocks may run ahead of ours (tests advance them), so
 * each gateway is read over the run in its own time rather than by calendar day. Payments
 * left pending with a dead letter are the operator's, and not compared.
 */
export async function reconciled(db: Db, settledIds: readonly string[], startedAt: Date): Promise<Check> {
  const sims = gateways();
  const sources = loadReconcileSources({ STRIPE_API_BASE: sims.stripe, ADYEN_API_BASE: sims.adyen });
  const payments = await paymentsById(db as never, settledIds);
  const run = new Set(settledIds);
  const found: Mismatch[] = [];
  let records = 0;
  for (const connector of CONNECTORS) {
    const clock = (await (await fetch(`${sims[connector]}/__admin/clock`)).json()) as { now: number; offsetMs: number };
    const window = { from: new Date(startedAt.getTime() + clock.offsetMs - 3_600_000), to: new Date(clock.now + 3_600_000) };
    const read = await sources[connector]!(window);
    records += read.records.filter((r) => r.paymentId !== null && run.has(r.paymentId)).length;
    const mismatches = compare({ day: window, connectors: [connector], payments, named: [], records: { [connector]: read.records } });
    found.push(...mismatches.filter((m) => m.payment_id !== null && run.has(m.payment_id)));
  }
  const kinds = [...new Set(found.map((m) => m.kind))].map((k) => `${found.filter((m) => m.kind === k).length} ${k}`);
  return {
    name: "reconciled with both gateways",
    ok: found.length === 0 && payments.length === settledIds.length,
    detail: `${payments.length} settled payments against ${records} gateway records of theirs: ${found.length} mismatches${
      kinds.length
        ? ` (${kinds.join(", ")}; e.g. ${found
            .slice(0, 3)
            .map((m) => `${m.payment_id} at ${m.connector}: ${m.reason}`)
            .join("; ")})`
        : ""
    }`,
  };
}

/**
 * Every merchant event of the run's payments, from the moment the chaos endpoint existed,
 * reached the endpoint (signed, in each payment's order) or is a dead letter for it that
 * says why; duplicates only ever with the same event id.
 */
export async function webhooksDelivered(db: Db, rx: Receiver, endpointId: string, paymentIds: readonly string[]): Promise<Check> {
  const events = await db<{ id: string; payment_id: string }[]>`
    WITH ids AS (SELECT unnest(${paymentIds}::text[]) AS id)
    SELECT e.id, e.payment_id FROM events e JOIN ids ON ids.id = e.payment_id
     WHERE e.created_at >= (SELECT created_at FROM webhook_endpoints WHERE id = ${endpointId})
     ORDER BY e.payment_id, e.seq`;
  const dead = new Set(
    (
      await db<{ event_id: string }[]>`SELECT event_id FROM webhook_deliveries WHERE endpoint_id = ${endpointId} AND state = 'dead' AND dead_reason IS NOT NULL`
    ).map((r) => r.event_id),
  );
  const accepted = rx.acceptedEventIds();
  const missing = events.filter((e) => !accepted.has(e.id) && !dead.has(e.id)).length;
  const byPayment = new Map<string, string[]>();
  for (const e of events) byPayment.set(e.payment_id, [...(byPayment.get(e.payment_id) ?? []), e.id]);
  const order = rx.orderViolations(byPayment).length;
  const bad = rx.badRequests().length;
  const duplicates = [...rx.duplicates().values()].reduce((n, c) => n + c - 1, 0);
  return {
    name: "merchant webhooks delivered",
    ok: missing === 0 && order === 0 && bad === 0,
    detail: `${events.length} events of ${byPayment.size} payments: ${missing} neither delivered nor dead-lettered with a reason, ${dead.size} dead letters, ${order} out of order, ${bad} badly signed; ${duplicates} duplicates (same event id)`,
  };
}

export async function drained(db: Db): Promise<Check> {
  const [o] = await db<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND quarantined_at IS NULL`;
  const lag = await consumerLag();
  return { name: "drained", ok: (o?.n ?? 1) === 0 && lag === 0, detail: `${o?.n} outbox rows unpublished; consumer lag ${lag}` };
}

/** Records received but not committed, summed over every stream service (stream_commit_lag). */
export async function consumerLag(): Promise<number> {
  let lag = 0;
  for (const port of Object.values(loadStackEnv().METRICS_PORTS)) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => "",
    );
    for (const line of text.split("\n")) if (line.startsWith("stream_commit_lag{")) lag += Number(line.split(" ").at(-1)) || 0;
  }
  return lag;
}
