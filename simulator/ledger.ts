/**
 * What a test needs to prove "charged exactly once": how many times each idempotency key
 * and each `metadata[payment_id]` actually charged (a PaymentIntent reached succeeded), and
 * how many gateway calls arrived for each, faulted ones included.
 */

const bump = (m: Map<string, number>, k: string | null): void => {
  if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
};

export class ChargeLedger {
  readonly #chargesByKey = new Map<string, number>();
  readonly #chargesByPayment = new Map<string, number>();
  readonly #attemptsByKey = new Map<string, number>();
  readonly #attemptsByPayment = new Map<string, number>();
  readonly #intentsByPayment = new Map<string, Set<string>>();
  #charges = 0;
  #attempts = 0;

  recordAttempt(paymentId: string | null, key: string | null): void {
    this.#attempts++;
    bump(this.#attemptsByPayment, paymentId);
    bump(this.#attemptsByKey, key);
  }

  recordIntent(paymentId: string | null, intentId: string): void {
    if (paymentId === null) return;
    const set = this.#intentsByPayment.get(paymentId) ?? new Set<string>();
    set.add(intentId);
    this.#intentsByPayment.set(paymentId, set);
  }

  recordCharge(paymentId: string | null, key: string | null): void {
    this.#charges++;
    bump(this.#chargesByPayment, paymentId);
    bump(this.#chargesByKey, key);
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
    };
  }

  forPayment(paymentId: string) {
    return {
      paymentId,
      charges: this.#chargesByPayment.get(paymentId) ?? 0,
      attempts: this.#attemptsByPayment.get(paymentId) ?? 0,
      paymentIntents: [...(this.#intentsByPayment.get(paymentId) ?? [])],
    };
  }

  clear(): void {
    for (const m of [this.#chargesByKey, this.#chargesByPayment, this.#attemptsByKey, this.#attemptsByPayment]) m.clear();
    this.#intentsByPayment.clear();
    this.#charges = 0;
    this.#attempts = 0;
  }
}
