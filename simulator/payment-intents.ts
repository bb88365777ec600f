/**
 * PaymentIntents: create (optionally confirming in the same call), confirm and retrieve.
 * Everything here runs "inside the endpoint": its results, declines included, are what the
 * idempotency layer saves. Refusals that Stripe makes before executing (bad parameters,
 * unknown PaymentMethod) are thrown as StripeHttpError instead and are not saved.
 */
import { invalidRequest, resourceMissing, type ErrorBody } from "./errors.ts";
import type { ChargeLedger } from "./ledger.ts";
import { cardError, newIntent, paymentMethodObject, type PaymentIntent, type PaymentMethodObject } from "./objects.ts";
import type { ConfirmParams, CreateParams } from "./params.ts";
import { lookupTestCard, PROCESSING_MS, type TestCard } from "./payment-methods.ts";

export type IntentDeps = {
  ids: (prefix: string) => string;
  /** Epoch milliseconds. */
  now: () => number;
  ledger: ChargeLedger;
};

/** An executed endpoint's answer: 200 with the intent, or a saved error such as a 402 decline. */
export type Executed = { status: number; body: unknown };

const REDIRECT_MESSAGE =
  "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment " +
  "methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept " +
  "redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and " +
  "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.";

const CONFIRMABLE = new Set(["requires_payment_method", "requires_confirmation", "requires_action"]);

export class PaymentIntents {
  readonly #deps: IntentDeps;
  readonly #intents = new Map<string, PaymentIntent>();
  readonly #methods = new Map<string, { card: TestCard; object: PaymentMethodObject }>();
  /** Intents still processing: when they settle, and the key that confirmed them (for the ledger). */
  readonly #processing = new Map<string, { until: number; key: string | null }>();
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

  /** A processing intent whose time has come succeeds now: reads see the gateway move on. */
  #settle(pi: PaymentIntent): void {
    const p = this.#processing.get(pi.id);
    if (!p || this.#deps.now() < p.until) return;
    this.#processing.delete(pi.id);
    pi.status = "succeeded";
    pi.amount_received = pi.amount;
    this.#deps.ledger.recordCharge(pi.metadata.payment_id ?? null, p.key);
  }

  #confirm(pi: PaymentIntent, p: ConfirmParams, key: string | null): Executed {
    if (!CONFIRMABLE.has(pi.status)) {
      const message = pi.status === "succeeded"
        ? "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed."
        : `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`;
      return errorWith(pi, { ...invalidRequest(message, "payment_intent_unexpected_state").body });
    }
    const method = pi.payment_method === null ? null : this.#methods.get(pi.payment_method);
    if (!method) {
      return errorWith(pi, invalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the " +
          "PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        "payment_intent_unexpected_state",
      ).body);
    }
    if (pi.automatic_payment_methods?.enabled && pi.automatic_payment_methods.allow_redirects === "always" && p.returnUrl === null) {
      return errorWith(pi, { type: "invalid_request_error", message: REDIRECT_MESSAGE });
    }
    if (method.card.requiresAction && !p.errorOnRequiresAction) {
      pi.status = "requires_action";
      pi.next_action = { type: "use_stripe_sdk", use_stripe_sdk: { type: "three_d_secure_redirect" } };
      return { status: 200, body: snapshot(pi) };
    }
    const charge = this.#deps.ids("ch");
    pi.latest_charge = charge;
    const decline = method.card.decline ?? (method.card.requiresAction
      ? { code: "authentication_required", decline_code: "authentication_not_handled", message: "Your card was declined. This transaction requires authentication." }
      : undefined);
    if (decline) {
      pi.status = "requires_payment_method";
      pi.payment_method = null;
      pi.last_payment_error = cardError(decline, charge, method.object);
      return { status: 402, body: { error: { ...pi.last_payment_error, payment_intent: snapshot(pi) } } };
    }
    pi.last_payment_error = null;
    pi.next_action = null;
    if (method.card.processing) {
      pi.status = "processing";
      this.#processing.set(pi.id, { until: this.#deps.now() + PROCESSING_MS, key });
    } else if (pi.capture_method === "manual") {
      pi.status = "requires_capture";
      pi.amount_capturable = pi.amount;
    } else {
      pi.status = "succeeded";
      pi.amount_received = pi.amount;
      this.#deps.ledger.recordCharge(pi.metadata.payment_id ?? null, key);
    }
    return { status: 200, body: snapshot(pi) };
  }

  clear(): void {
    this.#intents.clear();
    this.#methods.clear();
    this.#processing.clear();
    this.#byPaymentId.clear();
  }
}

/** Responses carry a copy: a later confirm must not change a body already saved for replay. */
function snapshot(pi: PaymentIntent): PaymentIntent {
  return structuredClone(pi);
}

function errorWith(pi: PaymentIntent, body: ErrorBody): Executed {
  return { status: 400, body: { error: { ...body, payment_intent: snapshot(pi) } } };
}
