/**
 * Adyen payments: authorise (POST /payments), the lookups the simulator needs, and what
 * simulated time does (a Received payment settles, a delayed capture happens, an uncaptured
 * authorisation expires, asynchronous refunds finish). Time-driven moves are applied lazily,
 * on the next request, admin read or clock advance, each with the webhook Adyen would send
 * dated when it happened. Everything here runs inside the endpoint: its answers are what the
 * idempotency layer saves.
 */
import type { ChargeLedger } from "../ledger.ts";
import type { Executed } from "../executed.ts";
import { paymentIdOf, paymentResponse, refundsOf, type AdyenPayment } from "./payment.ts";
import type { PaymentParams } from "./payment-params.ts";
import type { AdyenEvent } from "./notifications.ts";

/** How long a Received payment (pm_card_processing, holder name PENDING) takes, on the simulated clock. */
export const PROCESSING_MS = 60 * 60 * 1000;
/** How long an asynchronous test refund takes to succeed or fail. */
export const ASYNC_REFUND_MS = 60 * 60 * 1000;
/** An uncaptured card authorisation is held this long (the Stripe mode's 7 days; schemes vary on Adyen). */
export const AUTHORISATION_VALID_MS = 7 * 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
/** Why a refund of a `refund failed` card fails after it succeeded (the simulator's wording). */
export const SCHEME_REFUND_FAILURE = "Refund failed by the card scheme (test card)";

export type PaymentDeps = {
  psp: () => string;
  now: () => number;
  ledger: ChargeLedger;
  emit: (event: AdyenEvent) => void;
};

export class AdyenPayments {
  readonly deps: PaymentDeps;
  readonly #byPsp = new Map<string, AdyenPayment>();
  readonly #byReference = new Map<string, string[]>();
  /** Payments that simulated time can still change: all that settleAll() has to look at. */
  readonly #waiting = new Set<string>();

  constructor(deps: PaymentDeps) {
    this.deps = deps;
  }

  authorise(p: PaymentParams, key: string | null): Executed {
    const now = this.deps.now();
    const captureMode = p.manualCapture ? "manual" : p.captureDelayHours > 0 ? "delayed" : "immediate";
    const payment: AdyenPayment = {
      pspReference: this.deps.psp(),
      merchantReference: p.reference,
      merchantAccount: p.merchantAccount,
      paymentId: paymentIdOf({ merchantReference: p.reference, metadata: p.metadata }),
      amount: { ...p.amount },
      metadata: { ...p.metadata },
      shopperReference: p.shopperReference,
      paymentMethod: p.paymentMethod,
      card: p.card,
      outcome: p.card.outcome,
      status: "received",
      captureMode,
      captureDelayMs: p.captureDelayHours * HOUR,
      key,
      createdAt: now,
      authorisedAt: null,
      captured: 0,
      modifications: [],
    };
    this.#byPsp.set(payment.pspReference, payment);
    this.#byReference.set(p.reference, [...(this.#byReference.get(p.reference) ?? []), payment.pspReference]);
    this.deps.ledger.recordIntent(payment.paymentId, payment.pspReference);
    this.#waiting.add(payment.pspReference);
    const result = payment.outcome.resultCode;
    if (result === "Authorised") this.#authorised(payment, now);
    else if (result !== "Received") {
      payment.status = "refused";
      this.#emit(payment, "AUTHORISATION", false, now, payment.outcome.refusalReason ?? null);
    }
    this.#settle(payment);
    return { status: 200, body: paymentResponse(payment) };
  }

  /** The card authorised the amount at `at`: capture now, hold it, or schedule the delayed capture. */
  #authorised(p: AdyenPayment, at: number): void {
    p.status = "authorised";
    p.authorisedAt = at;
    this.#emit(p, "AUTHORISATION", true, at, null);
    if (p.captureMode === "immediate") this.capture(p, p.amount.value, p.key);
    else this.deps.ledger.recordAuthorization(p.pspReference, p.amount.value);
  }

  /** Money moves: the payment is captured for `amount` (the rest of the authorisation is released). */
  capture(p: AdyenPayment, amount: number, key: string | null): void {
    p.status = "captured";
    p.captured = amount;
    this.deps.ledger.recordCharge(p.pspReference, key, amount);
  }

  find(psp: string): AdyenPayment | undefined {
    const p = this.#byPsp.get(psp);
    if (p) this.#settle(p);
    return p;
  }

  /** Every payment sent with this merchant reference, oldest first. */
  byReference(reference: string): AdyenPayment[] {
    return (this.#byReference.get(reference) ?? []).map((psp) => this.find(psp)!);
  }

  /** Every payment, oldest first, with what simulated time has done to it (the reports read this). */
  all(): AdyenPayment[] {
    return [...this.#byPsp.values()].map((p) => (this.#settle(p), p));
  }

  byPaymentId(paymentId: string): AdyenPayment[] {
    return [...this.#byPsp.values()].filter((p) => p.paymentId === paymentId).map((p) => (this.#settle(p), p));
  }

  /** A modification was made: time may have more to do with the payment (settleAll drops it when not). */
  watch(p: AdyenPayment): void {
    this.#waiting.add(p.pspReference);
  }

  settleAll(): void {
    for (const psp of [...this.#waiting]) this.#settle(this.#byPsp.get(psp)!);
  }

  #settle(p: AdyenPayment): void {
    const now = this.deps.now();
    if (p.status === "received" && p.outcome.resultCode === "Received" && now >= p.createdAt + PROCESSING_MS) {
      p.outcome = { resultCode: "Authorised" };
      this.#authorised(p, p.createdAt + PROCESSING_MS);
    }
    if (p.status === "authorised" && p.captureMode === "delayed" && now >= p.authorisedAt! + p.captureDelayMs) this.capture(p, p.amount.value, p.key);
    if (p.status === "authorised" && p.captureMode === "manual" && now >= p.authorisedAt! + AUTHORISATION_VALID_MS) {
      p.status = "expired";
      this.deps.ledger.recordRelease(p.pspReference);
    }
    for (const m of refundsOf(p)) {
      if (m.at + ASYNC_REFUND_MS > now) continue;
      const event = m.kind === "refund" ? "REFUND" : m.kind === "reversal" ? "CANCEL_OR_REFUND" : "TECHNICAL_CANCEL";
      if (m.status === "received" && p.card.refund === "pending") {
        m.status = "succeeded";
        this.deps.ledger.recordRefundStatus(m.pspReference, "succeeded");
        this.#emit(p, event, true, m.at + ASYNC_REFUND_MS, null, m);
      } else if (m.status === "succeeded" && p.card.refund === "fail") {
        m.status = "failed";
        m.reason = SCHEME_REFUND_FAILURE;
        this.deps.ledger.recordRefundStatus(m.pspReference, "failed");
        this.#emit(p, "REFUND_FAILED", true, m.at + ASYNC_REFUND_MS, m.reason, m);
      }
    }
    if (!waitsOnTime(p)) this.#waiting.delete(p.pspReference);
  }

  /** A notification about the payment, or about one of its modifications. */
  #emit(
    p: AdyenPayment,
    eventCode: AdyenEvent["eventCode"],
    success: boolean,
    at: number,
    reason: string | null,
    m?: { pspReference: string; amount: AdyenPayment["amount"] | null },
    additionalData: Record<string, string> = {},
  ): void {
    this.deps.emit({
      additionalData,
      eventCode,
      success,
      eventDate: at,
      reason,
      paymentId: p.paymentId,
      pspReference: m ? m.pspReference : p.pspReference,
      originalReference: m ? p.pspReference : null,
      merchantReference: p.merchantReference,
      merchantAccountCode: p.merchantAccount,
      amount: { ...(m?.amount ?? p.amount) },
      paymentMethod: p.paymentMethod.brand,
    });
  }

  /** For modifications.ts: the same notification shape. */
  notify(
    p: AdyenPayment,
    eventCode: AdyenEvent["eventCode"],
    success: boolean,
    reason: string | null,
    m: { pspReference: string; amount: AdyenPayment["amount"] | null },
    additionalData?: Record<string, string>,
  ): void {
    this.#emit(p, eventCode, success, this.deps.now(), reason, m, additionalData);
  }

  clear(): void {
    this.#byPsp.clear();
    this.#byReference.clear();
    this.#waiting.clear();
  }
}

function waitsOnTime(p: AdyenPayment): boolean {
  if (p.status === "received" || (p.status === "authorised" && p.captureMode !== "immediate")) return true;
  return refundsOf(p).some((m) => (m.status === "received" && p.card.refund === "pending") || (m.status === "succeeded" && p.card.refund === "fail"));
}
