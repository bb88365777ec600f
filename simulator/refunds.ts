/**
 * The Refunds API (docs.stripe.com/api/refunds): create on a PaymentIntent or its charge,
 * retrieve, list newest first (optionally by creation time). A refund needs captured money;
 * together the refunds that hold money (pending or succeeded) never exceed the amount
 * received, and a failed refund's amount can be refunded again. Refunds of the asynchronous
 * test cards change status lazily, on the simulated clock (docs.stripe.com/testing#refunds).
 */
import type { RefundCreateParams, RefundListParams } from "./command-params.ts";
import { invalidRequest, resourceMissing } from "./errors.ts";
import { ok, refused, snapshot, type Executed } from "./executed.ts";
import type { ChargeLedger, RefundStatus } from "./ledger.ts";
import { inCreated, page } from "./lists.ts";
import type { PaymentIntent } from "./objects.ts";
import type { PaymentIntents } from "./payment-intents.ts";
import { ASYNC_REFUND_MS } from "./payment-methods.ts";
import { chargeObject, formatAmount, holdsMoney, refundObject, type RefundObject } from "./refund-objects.ts";
import type { StripeEventSink } from "./stripe-events.ts";

export type RefundDeps = {
  ids: (prefix: string) => string;
  now: () => number;
  ledger: ChargeLedger;
  intents: PaymentIntents;
  /** Webhook events (stripe-events.ts); they never change an answer. */
  events?: StripeEventSink;
};

/** A refund whose status will still change: when, to what, and why it failed. */
type Later = { at: number; status: RefundStatus; failureReason?: string };

export class Refunds {
  readonly #deps: RefundDeps;
  /** In creation order. */
  readonly #refunds = new Map<string, RefundObject>();
  readonly #later = new Map<string, Later>();
  readonly #byIntent = new Map<string, string[]>();

  constructor(deps: RefundDeps) {
    this.#deps = deps;
  }

  /** The intent a create or list names (its own or its charge's); unknown ids are refused before the endpoint runs. */
  target(p: { paymentIntent: string | null; charge: string | null }): PaymentIntent {
    const owner = p.charge === null ? null : this.#deps.intents.charge(p.charge);
    if (p.charge !== null && !owner) throw resourceMissing("charge", p.charge, "charge", 400);
    const id = p.paymentIntent ?? owner!.intentId;
    const pi = this.#deps.intents.find(id);
    if (!pi) throw resourceMissing("payment_intent", id, "payment_intent", 400);
    if (owner && owner.intentId !== pi.id) throw invalidRequest(`Charge ${p.charge} does not belong to PaymentIntent ${pi.id}.`, undefined, "charge");
    return pi;
  }

  create(p: RefundCreateParams): Executed {
    const pi = this.target(p);
    const charge = pi.latest_charge;
    if (p.charge !== null && p.charge !== charge) {
      return refused(invalidRequest(`Charge ${p.charge} has failed and cannot be refunded.`, "charge_not_refundable", "charge").body);
    }
    if (pi.status !== "succeeded" || pi.amount_received === 0 || charge === null) {
      return refused(
        invalidRequest(
          `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
          "payment_intent_unexpected_state",
          p.paymentIntent !== null ? "payment_intent" : "charge",
        ).body,
      );
    }
    const remaining =
      pi.amount_received -
      this.#of(pi.id)
        .filter(holdsMoney)
        .reduce((n, r) => n + r.amount, 0);
    if (remaining <= 0) return refused(invalidRequest(`Charge ${charge} has already been refunded.`, "charge_already_refunded").body);
    const amount = p.amount ?? remaining;
    if (amount > remaining) {
      return refused(
        invalidRequest(
          `Refund amount (${formatAmount(amount, pi.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, pi.currency)})`,
          "amount_too_large",
          "amount",
        ).body,
      );
    }
    const behaviour = this.#deps.intents.cardOf(pi)?.refund;
    const refund = refundObject({
      id: this.#deps.ids("re"),
      amount,
      charge,
      created: Math.floor(this.#deps.now() / 1000),
      pi,
      reason: p.reason,
      metadata: p.metadata,
      status: behaviour === "pending" ? "pending" : "succeeded",
    });
    const at = this.#deps.now() + ASYNC_REFUND_MS;
    if (behaviour === "fail") this.#later.set(refund.id, { at, status: "failed", failureReason: "expired_or_canceled_card" });
    if (behaviour === "pending") this.#later.set(refund.id, { at, status: "succeeded" });
    this.#refunds.set(refund.id, refund);
    this.#byIntent.set(pi.id, [...(this.#byIntent.get(pi.id) ?? []), refund.id]);
    this.#deps.ledger.recordRefund(pi.id, { id: refund.id, amount, status: refund.status });
    this.#deps.events?.("refund.created", refund);
    if (refund.status === "succeeded") this.#refunded(refund);
    return ok(refund);
  }

  find(id: string): RefundObject | undefined {
    const r = this.#refunds.get(id);
    if (r) this.#settle(r);
    return r;
  }

  retrieve(id: string): RefundObject {
    const r = this.find(id);
    if (!r) throw resourceMissing("refund", id, "id");
    return snapshot(r);
  }

  /** Newest first, Stripe's cursor pagination, optionally by creation time (lists.ts). */
  list(q: RefundListParams) {
    const scoped = q.paymentIntent !== null || q.charge !== null;
    const all = scoped ? this.#of(this.target(q).id) : [...this.#refunds.values()].map((r) => (this.#settle(r), r));
    const newest = all.filter((r) => (q.charge === null || r.charge === q.charge) && inCreated(q.created, r.created)).reverse();
    const { data, hasMore } = page(newest, q, "refund");
    return { object: "list" as const, data: data.map(snapshot), has_more: hasMore, url: "/v1/refunds" };
  }

  /** The Charge object behind a `ch_…`, with what has been refunded of it. */
  charge(chargeId: string): ReturnType<typeof chargeObject> | undefined {
    const c = this.#deps.intents.charge(chargeId);
    const pi = c && this.#deps.intents.find(c.intentId);
    return pi ? chargeObject(chargeId, c.created, pi, this.#of(pi.id)) : undefined;
  }

  /** The intent a refund belongs to (for the request log and fault rules). */
  intentOf(refundId: string): string | undefined {
    return this.#refunds.get(refundId)?.payment_intent;
  }

  settleAll(): void {
    for (const id of this.#later.keys()) this.find(id);
  }

  #of(intentId: string): RefundObject[] {
    return (this.#byIntent.get(intentId) ?? []).map((id) => this.find(id)!);
  }

  #settle(r: RefundObject): void {
    const later = this.#later.get(r.id);
    if (!later || this.#deps.now() < later.at) return;
    this.#later.delete(r.id);
    r.status = later.status;
    delete r.pending_reason;
    if (later.failureReason) r.failure_reason = later.failureReason;
    this.#deps.ledger.recordRefundStatus(r.id, r.status);
    this.#deps.events?.("refund.updated", r);
    if (r.status === "succeeded") this.#refunded(r);
  }

  /** charge.refunded carries the Charge, with what has been refunded of it so far. */
  #refunded(r: RefundObject): void {
    const events = this.#deps.events;
    const charge = events && r.charge ? this.charge(r.charge) : undefined;
    if (charge) events!("charge.refunded", charge);
  }

  clear(): void {
    this.#refunds.clear();
    this.#later.clear();
    this.#byIntent.clear();
  }
}
