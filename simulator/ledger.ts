/**
 * What a test needs to prove "charged exactly once" and "never captured or refunded more
 * than was authorized": how many times each idempotency key and each `metadata[payment_id]`
 * actually charged (money was captured: a PaymentIntent reached succeeded), how many gateway
 * calls arrived for each, faulted ones included, and per PaymentIntent the money it moved.
 */

const bump = (m: Map<string, number>, k: string | null): void => {
  if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
};

export type RefundStatus = "pending" | "requires_action" | "succeeded" | "failed" | "canceled";
export type LedgerRefund = { id: string; amount: number; status: RefundStatus };

/** The money of one PaymentIntent, in minor units of its currency. */
type IntentMoney = {
  paymentId: string | null;
  /** What the card authorized (amount_capturable at authorization; the amount for an automatic capture). */
  authorized: number;
  /** Still held and capturable now; 0 once captured, canceled or expired. */
  capturable: number;
  captured: number;
  refunds: Map<string, LedgerRefund>;
};

export type MoneyView = {
  authorized: number;
  capturable: number;
  captured: number;
  /** Succeeded refunds. */
  refunded: number;
  /** Refunds still pending (or waiting for an action); they hold their amount. */
  pendingRefunds: number;
  refundCount: number;
};

export class ChargeLedger {
  readonly #chargesByKey = new Map<string, number>();
  readonly #chargesByPayment = new Map<string, number>();
  readonly #attemptsByKey = new Map<string, number>();
  readonly #attemptsByPayment = new Map<string, number>();
  readonly #intentsByPayment = new Map<string, Set<string>>();
  readonly #money = new Map<string, IntentMoney>();
  readonly #refundIntent = new Map<string, string>();
  #charges = 0;
  #attempts = 0;

  recordAttempt(paymentId: string | null, key: string | null): void {
    this.#attempts++;
    bump(this.#attemptsByPayment, paymentId);
    bump(this.#attemptsByKey, key);
  }

  recordIntent(paymentId: string | null, intentId: string): void {
    this.#money.set(intentId, { paymentId, authorized: 0, capturable: 0, captured: 0, refunds: new Map() });
    if (paymentId === null) return;
    const set = this.#intentsByPayment.get(paymentId) ?? new Set<string>();
    set.add(intentId);
    this.#intentsByPayment.set(paymentId, set);
  }

  /** A manual-capture intent reached requires_capture. */
  recordAuthorization(intentId: string, amount: number): void {
    const m = this.#intent(intentId);
    m.authorized = amount;
    m.capturable = amount;
  }

  /** Money was captured (automatically at confirm, or by a capture with `key`): one charge, counted for the intent's payment. */
  recordCharge(intentId: string, key: string | null, amount: number): void {
    const m = this.#intent(intentId);
    this.#charges++;
    bump(this.#chargesByPayment, m.paymentId);
    bump(this.#chargesByKey, key);
    if (m.authorized === 0) m.authorized = amount;
    m.captured += amount;
    m.capturable = 0;
  }

  /** The authorization was released (cancel, or 7 days without a capture). */
  recordRelease(intentId: string): void {
    this.#intent(intentId).capturable = 0;
  }

  recordRefund(intentId: string, refund: LedgerRefund): void {
    this.#intent(intentId).refunds.set(refund.id, { ...refund });
    this.#refundIntent.set(refund.id, intentId);
  }

  recordRefundStatus(refundId: string, status: RefundStatus): void {
    const intentId = this.#refundIntent.get(refundId);
    const r = intentId === undefined ? undefined : this.#money.get(intentId)?.refunds.get(refundId);
    if (r) r.status = status;
  }

  #intent(intentId: string): IntentMoney {
    const m = this.#money.get(intentId);
    if (!m) throw new Error(`ledger: unknown PaymentIntent ${intentId}`);
    return m;
  }

  snapshot() {
    return {
      byIdempotencyKey: Object.fromEntries(this.#chargesByKey),
      byPaymentId: Object.fromEntries(this.#chargesByPayment),
      total: this.#charges,
      attempts: {
        byIdempotencyKey: Object.fromEntries(this.#attemptsByKey),
        byPaymentId: Object.fromEntries(this.#attemptsByPayment),
        total: this.#attempts,
      },
      ...sum([...this.#money.values()]),
    };
  }

  forPayment(paymentId: string) {
    const ids = [...(this.#intentsByPayment.get(paymentId) ?? [])];
    const intents = ids.map((id) => [id, this.#money.get(id)!] as const);
    return {
      paymentId,
      charges: this.#chargesByPayment.get(paymentId) ?? 0,
      attempts: this.#attemptsByPayment.get(paymentId) ?? 0,
      paymentIntents: ids,
      ...sum(intents.map(([, m]) => m)),
      refunds: intents.flatMap(([id, m]) => [...m.refunds.values()].map((r) => ({ ...r, paymentIntent: id }))),
      byIntent: Object.fromEntries(intents.map(([id, m]) => [id, { ...sum([m]), refunds: [...m.refunds.values()].map((r) => ({ ...r })) }])),
    };
  }

  clear(): void {
    for (const m of [this.#chargesByKey, this.#chargesByPayment, this.#attemptsByKey, this.#attemptsByPayment]) m.clear();
    this.#intentsByPayment.clear();
    this.#money.clear();
    this.#refundIntent.clear();
    this.#charges = 0;
    this.#attempts = 0;
  }
}

function sum(intents: IntentMoney[]): MoneyView {
  const v: MoneyView = { authorized: 0, capturable: 0, captured: 0, refunded: 0, pendingRefunds: 0, refundCount: 0 };
  for (const m of intents) {
    v.authorized += m.authorized;
    v.capturable += m.capturable;
    v.captured += m.captured;
    for (const r of m.refunds.values()) {
      v.refundCount++;
      if (r.status === "succeeded") v.refunded += r.amount;
      if (r.status === "pending" || r.status === "requires_action") v.pendingRefunds += r.amount;
    }
  }
  return v;
}
