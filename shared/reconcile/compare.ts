/**
 * The matching rules of a reconciliation, pure: the platform's payments of one UTC day against
 * each compared connector's records (model.ts), matched by our payment id.
 *
 * - missing_at_gateway: a payment of the day whose platform side says money is or was held at
 *   its connector (AUTHORIZED, APPROVED, CANCELED, amount_captured > 0 or refunds succeeded)
 *   while the connector holds no record at all for its id in the gateway window. CANCELED
 *   counts: it was AUTHORIZED first, so the connector must know the authorisation it voided.
 * - missing_locally: a gateway record created on the day that holds or moved money
 *   (authorized, captured, or a refund not failed) whose payment id is unknown here, or whose
 *   payment is at another connector (or was never sent to one). Records of one payment id are
 *   reported together; a record without a payment id is reported on its own.
 * - amount_mismatch: for a payment of the day with records at its connector, what is
 *   authorized (held or charged: the amount when AUTHORIZED or APPROVED, else 0), captured or
 *   refunded differs from the sum over those records, or their currency differs.
 *
 * Edge cases, decided:
 * - Several records for one payment (retries under new idempotency keys, each a new intent):
 *   their amounts are summed, so a second charge shows as captured twice the amount.
 * - A DENIED payment matches no record, or records that authorized nothing (a decline); one
 *   the connector charged anyway is an amount_mismatch, as is an APPROVED payment whose only
 *   records were declined (the connector knows the payment, so it is not missing there).
 * - A PENDING payment is compared as nothing moved: no record is fine, a record still
 *   processing holds nothing yet, a record that authorized or captured money is a mismatch
 *   (the platform has not learned what the gateway did). Reconcile days that are over.
 * - A refund still pending on either side is not a mismatch: its outcome reaches the other
 *   side later (the gateway's webhook, the command worker's next look-up), so refunded
 *   amounts may differ by at most what the other side still has pending. A difference larger
 *   than that is reported; so is a refund the platform counts as succeeded that the gateway
 *   failed later (its refunded total is smaller, with nothing pending).
 * - Records that never held money (a declined first attempt before a failover, an intent
 *   canceled before confirmation) are not missing_locally anywhere.
 * - Payments at a connector that is not compared, and payments never sent to one, are not
 *   checked from the platform side (run.ts counts the former as unchecked); a gateway record
 *   naming one that moved money is still missing_locally at its own connector.
 * - A record created on another day whose payment is of another day is that day's business;
 *   a payment of another day at the same connector is no mismatch from a record of this day.
 */
import type { ConnectorName } from "../connectors/types.ts";
import type { GatewayRecord, Mismatch, MismatchKind, PlatformPayment, Window } from "./model.ts";

export type CompareInput = {
  /** The day: its payments are compared, and the gateway records created in it are checked for missing_locally. */
  readonly day: Window;
  readonly connectors: readonly ConnectorName[];
  /** The platform's payments created on the day. */
  readonly payments: readonly PlatformPayment[];
  /** Payments of other days that the day's gateway records name (looked up by id). */
  readonly named: readonly PlatformPayment[];
  /** Each compared connector's records of the gateway window. */
  readonly records: Readonly<Partial<Record<ConnectorName, readonly GatewayRecord[]>>>;
};

type Side = NonNullable<Mismatch["platform"]>;
type Sum = Side & { pending: number; refs: string; currencies: string[] };

const holds = (p: PlatformPayment) => p.status === "AUTHORIZED" || p.status === "APPROVED";
const heldOrMovedHere = (p: PlatformPayment) => holds(p) || p.status === "CANCELED" || p.captured > 0 || p.refunded > 0;
const movedAtGateway = (r: GatewayRecord) => r.authorized > 0 || r.captured > 0 || r.refunds.some((f) => f.status !== "failed");
const within = (w: Window, at: Date) => at >= w.from && at < w.to;

const platformSide = (p: PlatformPayment): Side => ({ status: p.status, amount: p.amount, captured: p.captured, refunded: p.refunded });

function sum(records: readonly GatewayRecord[]): Sum {
  const oldest = [...records].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.ref < b.ref ? -1 : 1));
  const total = (f: (r: GatewayRecord) => number) => oldest.reduce((n, r) => n + f(r), 0);
  return {
    status: oldest.map((r) => r.status).join("+"),
    amount: total((r) => r.authorized),
    captured: total((r) => r.captured),
    refunded: total((r) => r.refunded),
    pending: total((r) => r.refunds.filter((f) => f.status === "pending").reduce((n, f) => n + f.amount, 0)),
    refs: oldest.map((r) => r.ref).join("+"),
    currencies: [...new Set(oldest.map((r) => r.currency))],
  };
}

const gatewaySide = (s: Sum): Side => ({ status: s.status, amount: s.amount, captured: s.captured, refunded: s.refunded });
const moneyOf = (s: Side) => `authorized ${s.amount}, captured ${s.captured}, refunded ${s.refunded}`;

/** Refunded totals agree, or differ by no more than what the other side still has pending. */
function refundsAgree(p: PlatformPayment, g: Sum): boolean {
  const diff = g.refunded - p.refunded;
  return diff === 0 || (diff > 0 && diff <= p.pendingRefunds) || (diff < 0 && -diff <= g.pending);
}

/** What differs between a payment and its records at its connector, in words; empty when they agree. */
function differences(p: PlatformPayment, g: Sum, connector: ConnectorName): string[] {
  const out: string[] = [];
  const at = `at ${connector}`;
  const other = g.currencies.filter((c) => c !== p.currency);
  if (other.length > 0) out.push(`currency ${p.currency} here, ${g.currencies.join("+")} ${at}`);
  const authorized = holds(p) ? p.amount : 0;
  if (authorized !== g.amount) out.push(`authorized ${authorized} here (${p.status}), ${g.amount} ${at}`);
  if (p.captured !== g.captured) out.push(`captured ${p.captured} here, ${g.captured} ${at}`);
  if (!refundsAgree(p, g)) out.push(`refunded ${p.refunded} here (${p.pendingRefunds} pending), ${g.refunded} ${at} (${g.pending} pending)`);
  return out;
}

function mismatch(kind: MismatchKind, connector: ConnectorName, f: Omit<Mismatch, "kind" | "connector">): Mismatch {
  return { kind, connector, ...f };
}

function checkPayment(p: PlatformPayment, connector: ConnectorName, records: readonly GatewayRecord[]): Mismatch | null {
  if (records.length === 0) {
    if (!heldOrMovedHere(p)) return null;
    return mismatch("missing_at_gateway", connector, {
      payment_id: p.id,
      gateway_ref: p.gatewayRef,
      currency: p.currency,
      reason: `${p.status} here (amount ${p.amount}, captured ${p.captured}, refunded ${p.refunded}), but ${connector} holds no record of ${p.id}`,
      platform: platformSide(p),
      gateway: null,
    });
  }
  const g = sum(records);
  const diff = differences(p, g, connector);
  if (diff.length === 0) return null;
  return mismatch("amount_mismatch", connector, {
    payment_id: p.id,
    gateway_ref: g.refs,
    currency: p.currency,
    reason: diff.join("; "),
    platform: platformSide(p),
    gateway: gatewaySide(g),
  });
}

function unknownHere(connector: ConnectorName, paymentId: string | null, records: readonly GatewayRecord[], local: PlatformPayment | undefined): Mismatch {
  const g = sum(records);
  const whose =
    paymentId === null
      ? "for no payment id"
      : local === undefined
        ? `for ${paymentId}, unknown here`
        : local.connector === null
          ? `for ${paymentId}, which was never sent to a connector here`
          : `for ${paymentId}, which is at ${local.connector} here`;
  return mismatch("missing_locally", connector, {
    payment_id: paymentId,
    gateway_ref: g.refs,
    currency: g.currencies.join("+"),
    reason: `${connector} holds ${g.refs} (${moneyOf(gatewaySide(g))}) ${whose}`,
    platform: local ? platformSide(local) : null,
    gateway: gatewaySide(g),
  });
}

function byPaymentId(records: readonly GatewayRecord[]): Map<string, GatewayRecord[]> {
  const out = new Map<string, GatewayRecord[]>();
  for (const r of records) if (r.paymentId !== null) out.set(r.paymentId, [...(out.get(r.paymentId) ?? []), r]);
  return out;
}

function missingLocally(connector: ConnectorName, records: readonly GatewayRecord[], input: CompareInput, local: Map<string, PlatformPayment>): Mismatch[] {
  const ofDay = records.filter((r) => within(input.day, r.createdAt) && movedAtGateway(r));
  const out = ofDay.filter((r) => r.paymentId === null).map((r) => unknownHere(connector, null, [r], undefined));
  for (const [paymentId, group] of byPaymentId(ofDay)) {
    const p = local.get(paymentId);
    if (p === undefined || p.connector !== connector) out.push(unknownHere(connector, paymentId, group, p));
  }
  return out;
}

const ORDER: Record<MismatchKind, number> = { missing_at_gateway: 0, amount_mismatch: 1, missing_locally: 2 };

export function compare(input: CompareInput): Mismatch[] {
  const local = new Map([...input.named, ...input.payments].map((p) => [p.id, p]));
  const out: Mismatch[] = [];
  for (const connector of input.connectors) {
    const records = input.records[connector] ?? [];
    const mine = byPaymentId(records);
    for (const p of input.payments) {
      if (p.connector !== connector) continue;
      const m = checkPayment(p, connector, mine.get(p.id) ?? []);
      if (m) out.push(m);
    }
    out.push(...missingLocally(connector, records, input, local));
  }
  return out.sort((a, b) => a.connector.localeCompare(b.connector) || ORDER[a.kind] - ORDER[b.kind] || (a.payment_id ?? "").localeCompare(b.payment_id ?? ""));
}
