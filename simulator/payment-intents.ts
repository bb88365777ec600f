/**
 * PaymentIntents: create (optionally confirming in the same call), confirm, capture, cancel,
 * retrieve, search and list. Everything here runs "inside the endpoint": its results,
 * declines included, are what the idempotency layer saves. Refusals that Stripe makes before
 * executing (bad parameters, unknown PaymentMethod) are thrown as StripeHttpError instead and
 * are not saved.
 * Time-driven changes (processing settles, an authorization expires) are applied lazily,
 * whenever an intent is read or commanded.
 */
import type { CancelParams, CaptureParams } from "./command-params.ts";
import { confirmIntent } from "./confirm.ts";
import { resourceMissing } from "./errors.ts";
import { snapshot, type Executed } from "./executed.ts";
import { AUTHORIZATION_VALID_MS, cancelIntent, captureIntent, markCanceled } from "./intent-commands.ts";
import type { ChargeLedger } from "./ledger.ts";
import { inCreated, page, type Page } from "./lists.ts";
import { newIntent, paymentMethodObject, type PaymentIntent, type PaymentMethodObject } from "./objects.ts";
import type { ConfirmParams, CreateParams } from "./params.ts";
import { lookupTestCard, PROCESSING_MS, type TestCard } from "./payment-methods.ts";
import type { StripeEventSink } from "./stripe-events.ts";

export type IntentDeps = {
  ids: (prefix: string) => string;
  /** Epoch milliseconds. */
  now: () => number;
  ledger: ChargeLedger;
  /** Webhook events (stripe-events.ts); they never change an answer. */
  events?: StripeEventSink;
};

export class PaymentIntents {
  readonly #deps: IntentDeps;
  readonly #intents = new Map<string, PaymentIntent>();
  readonly #methods = new Map<string, { card: TestCard; object: PaymentMethodObject }>();
  /** Intents still processing: when they settle, and the key that confirmed them (for the ledger). */
  readonly #processing = new Map<string, { until: number; key: string | null }>();
  /** Intents in requires_capture: when their authorization expires. */
  readonly #holds = new Map<string, number>();
  /** Every charge (attempt) made: its intent and creation time. */
  readonly #charges = new Map<string, { intentId: string; created: number }>();
  /** metadata[payment_id] → intent ids, oldest first: what a search by our payment id reads. */
  readonly #byPaymentId = new Map<string, string[]>();

  constructor(deps: IntentDeps) {
    this.#deps = deps;
  }

  #seconds(): number {
    return Math.floor(this.#deps.now() / 1000);
  }

  /** `pm_card_visa` makes a fresh PaymentMethod each use, as on Stripe; a `pm_…` it made before is reused. */
  #resolveMethod(token: string): { card: TestCard; object: PaymentMethodObject } {
    const known = this.#methods.get(token);
    if (known) return known;
    const card = lookupTestCard(token);
    if (!card) throw resourceMissing("PaymentMethod", token, "payment_method", 400);
    const pm = { card, object: paymentMethodObject(this.#deps.ids("pm"), card, this.#seconds()) };
    this.#methods.set(pm.object.id, pm);
    return pm;
  }

  create(p: CreateParams, key: string | null): Executed {
    const method = p.paymentMethod === null ? null : this.#resolveMethod(p.paymentMethod);
    const id = this.#deps.ids("pi");
    const apm = p.paymentMethodTypes ? null : (p.automaticPaymentMethods ?? { enabled: true, allow_redirects: "always" as const });
    const pi = newIntent({
      id,
      clientSecret: `${id}_secret_${this.#deps.ids("s").slice(4)}`,
      created: this.#seconds(),
      params: p,
      automaticPaymentMethods: apm,
      paymentMethod: method?.object.id ?? null,
    });
    this.#intents.set(id, pi);
    const paymentId = p.metadata.payment_id;
    if (paymentId !== undefined) this.#byPaymentId.set(paymentId, [...(this.#byPaymentId.get(paymentId) ?? []), id]);
    this.#deps.ledger.recordIntent(paymentId ?? null, id);
    return p.confirm ? this.#confirm(pi, p, key) : { status: 200, body: snapshot(pi) };
  }

  confirm(id: string, p: ConfirmParams, key: string | null): Executed {
    const pi = this.retrieve(id);
    if (p.paymentMethod !== null) pi.payment_method = this.#resolveMethod(p.paymentMethod).object.id;
    return this.#confirm(pi, p, key);
  }

  capture(id: string, p: CaptureParams, key: string | null): Executed {
    const pi = this.retrieve(id);
    const result = captureIntent(pi, p, key, this.#deps.ledger);
    if (result.status === 200) this.#deps.events?.("payment_intent.succeeded", pi);
    return result;
  }

  cancel(id: string, p: CancelParams): Executed {
    const pi = this.retrieve(id);
    const result = cancelIntent(pi, p, this.#seconds(), this.#deps.ledger);
    if (result.status === 200) this.#deps.events?.("payment_intent.canceled", pi);
    return result;
  }

  /** The intent a `ch_…` belongs to, and when the charge was made. */
  charge(chargeId: string): { intentId: string; created: number } | undefined {
    return this.#charges.get(chargeId);
  }

  /** The test card behind the intent's payment (what its refunds do). */
  cardOf(pi: PaymentIntent): TestCard | undefined {
    return pi.payment_method === null ? undefined : this.#methods.get(pi.payment_method)?.card;
  }

  /** Applies what simulated time has done to every intent still waiting on the clock. */
  settleAll(): void {
    for (const id of [...this.#processing.keys(), ...this.#holds.keys()]) this.find(id);
  }

  find(id: string): PaymentIntent | undefined {
    const pi = this.#intents.get(id);
    if (pi) this.#settle(pi);
    return pi;
  }

  retrieve(id: string, status = 404): PaymentIntent {
    const pi = this.find(id);
    if (!pi) throw resourceMissing("payment_intent", id, "intent", status);
    return pi;
  }

  /**
   * GET /v1/payment_intents: newest first, by creation time when asked (lists.ts). Intents here
   * have no customer, so a `customer` (or `customer_account`) filter matches none.
   */
  list(p: Page & { customer: string | null }) {
    const newest = p.customer !== null ? [] : [...this.#intents.values()].filter((pi) => inCreated(p.created, pi.created)).reverse();
    const { data, hasMore } = page(newest, p, "payment_intent");
    return { object: "list" as const, data: data.map((pi) => (this.#settle(pi), snapshot(pi))), has_more: hasMore, url: "/v1/payment_intents" };
  }

  /** Intents whose metadata has every given key and value, newest first (Stripe's search order). */
  search(metadata: Record<string, string>, status: string | null): PaymentIntent[] {
    const byPayment = metadata.payment_id;
    const candidates = byPayment !== undefined ? (this.#byPaymentId.get(byPayment) ?? []).map((id) => this.#intents.get(id)!) : [...this.#intents.values()];
    return candidates
      .filter((pi) => Object.entries(metadata).every(([k, v]) => pi.metadata[k] === v))
      .map((pi) => (this.#settle(pi), pi))
      .filter((pi) => status === null || pi.status === status)
      .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1))
      .map(snapshot);
  }

  /**
   * Reads see the gateway move on: a processing intent whose time has come is authorized
   * (and, with automatic capture, charged); an authorization left uncaptured for 7 days is
   * canceled by the gateway itself, as of the moment it expired.
   */
  #settle(pi: PaymentIntent): void {
    const p = this.#processing.get(pi.id);
    if (p && this.#deps.now() >= p.until) {
      this.#processing.delete(pi.id);
      this.#authorized(pi, p.key, p.until);
    }
    const expires = this.#holds.get(pi.id);
    if (expires === undefined) return;
    if (pi.status === "requires_capture" && this.#deps.now() < expires) return;
    this.#holds.delete(pi.id);
    if (pi.status !== "requires_capture") return;
    markCanceled(pi, "automatic", Math.floor(expires / 1000), this.#deps.ledger);
    this.#deps.events?.("payment_intent.canceled", pi);
  }

  /** The card authorized the amount at `at`: hold it (manual capture) or charge it. */
  #authorized(pi: PaymentIntent, key: string | null, at: number): void {
    if (pi.capture_method === "manual") {
      pi.status = "requires_capture";
      pi.amount_capturable = pi.amount;
      this.#holds.set(pi.id, at + AUTHORIZATION_VALID_MS);
      this.#deps.ledger.recordAuthorization(pi.id, pi.amount);
      this.#deps.events?.("payment_intent.amount_capturable_updated", pi);
      return;
    }
    pi.status = "succeeded";
    pi.amount_received = pi.amount;
    this.#deps.ledger.recordCharge(pi.id, key, pi.amount);
    this.#deps.events?.("payment_intent.succeeded", pi);
  }

  #confirm(pi: PaymentIntent, p: ConfirmParams, key: string | null): Executed {
    const result = confirmIntent(pi, p, {
      method: (id) => this.#methods.get(id),
      newCharge: () => {
        const charge = this.#deps.ids("ch");
        this.#charges.set(charge, { intentId: pi.id, created: this.#seconds() });
        return charge;
      },
      process: () => this.#processing.set(pi.id, { until: this.#deps.now() + PROCESSING_MS, key }),
      authorize: () => this.#authorized(pi, key, this.#deps.now()),
    });
    if (result.status === 402) this.#deps.events?.("payment_intent.payment_failed", pi);
    return result;
  }

  clear(): void {
    this.#intents.clear();
    this.#methods.clear();
    this.#processing.clear();
    this.#holds.clear();
    this.#charges.clear();
    this.#byPaymentId.clear();
  }
}
