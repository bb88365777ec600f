/**
 * Steady payment load through Caddy. A request that fails without a definite
 * answer (connection reset, 5xx, 409 while in flight) is retried with the SAME
 * Idempotency-Key, as a careful client would, so "answered 201" is exact.
 */
import { postPayment } from "../stack/public-api.ts";

export const METHOD_MIX = [
  ["pm_card_visa", 55],
  ["pm_card_mastercard", 10],
  ["pm_card_visa_chargeDeclinedInsufficientFunds", 10],
  ["pm_card_chargeDeclinedFraudulent", 10],
  ["pm_card_chargeDeclinedExpiredCard", 10],
  // Never succeeds: these must end in the DLQ, PENDING with a dead letter that explains it.
  ["pm_card_chargeDeclinedProcessingError", 5],
] as const;

export interface Created {
  readonly id: string;
  readonly method: string;
}

export interface LoadStats {
  created: Created[];
  rejected: number;
  gaveUp: number;
  retries: number;
}

/** Never-succeeding payments only in the first third, so their 7 attempts reach the DLQ while the rest drains. */
const pick = (i: number, total: number): string => {
  let n = i % 100;
  for (const [m, w] of METHOD_MIX) if ((n -= w) < 0) return m === "pm_card_chargeDeclinedProcessingError" && i > total / 3 ? "pm_card_visa" : m;
  return "pm_card_visa";
};

export function runLoad(ratePerSec: number, seconds: number, signal: AbortSignal): Promise<LoadStats> {
  const stats: LoadStats = { created: [], rejected: 0, gaveUp: 0, retries: 0 };

  async function createOne(i: number, total: number): Promise<void> {
    const method = pick(i, total);
    const key = crypto.randomUUID();
    const body = { amount: 500 + (i % 5000), currency: i % 7 === 0 ? "JPY" : "EUR", payment_method: method, customer: { email: `chaos-${i}@example.test`, name: "Chaos <b>Monkey</b>" } };
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await postPayment(body, { idempotencyKey: key, signal: AbortSignal.timeout(15_000) }).catch(() => null);
      if (res?.status === 201) {
        stats.created.push({ id: ((await res.json()) as { id: string }).id, method });
        return;
      }
      const definite = res !== null && res.status < 500 && res.status !== 409;
      await res?.arrayBuffer().catch(() => {});
      if (definite) {
        stats.rejected++;
        return;
      }
      if (Date.now() > deadline) {
        stats.gaveUp++;
        return;
      }
      stats.retries++;
      await Bun.sleep(250);
    }
  }

  return (async () => {
    const start = performance.now();
    const total = Math.round(ratePerSec * seconds);
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total && !signal.aborted; i++) {
      const wait = start + (i * 1000) / ratePerSec - performance.now();
      if (wait > 1) await Bun.sleep(wait);
      inflight.push(createOne(i, total));
    }
    await Promise.all(inflight);
    return stats;
  })();
}
