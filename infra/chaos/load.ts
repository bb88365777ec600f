/**
 * Steady payment load through Caddy. A request that fails without a definite
 * answer (connection reset, 5xx, 409 while in flight) is retried with the SAME
 * Idempotency-Key, as a careful client would, so "answered 201" is exact.
 * Each created payment is also read back once by id, as a merchant polling for
 * its outcome would: a 500 is a failed read (a 503 with Retry-After, the proxy's 502
 * and 504 and resets are retried: a database or an instance was down under the request).
 * One payment in ten is held (capture_method manual) and captured once authorized,
 * in part or in full; one in ten is refunded once approved: a partial refund, then two
 * more at the same time that cannot both fit (the database must refuse one).
 */
import { DEV_MERCHANT_KEY } from "../stack/components/index.ts";
import { postPayment, publicFetch } from "../stack/public-api.ts";

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
  /** Captures and refunds the API accepted (202 / 201), and those it refused with a 409. */
  commands: { accepted: number; refused: number; unanswered: number };
  rejected: number;
  gaveUp: number;
  retries: number;
  reads: number;
  /** Reads the API answered with a 500 (or never answered in 60 s). */
  failedReads: number;
}

/** Never-succeeding payments only in the first third, so their 7 attempts reach the DLQ while the rest drains. */
const pick = (i: number, total: number): string => {
  let n = i % 100;
  for (const [m, w] of METHOD_MIX) if ((n -= w) < 0) return m === "pm_card_chargeDeclinedProcessingError" && i > total / 3 ? "pm_card_visa" : m;
  return "pm_card_visa";
};

export function runLoad(ratePerSec: number, seconds: number, signal: AbortSignal): Promise<LoadStats> {
  const stats: LoadStats = { created: [], commands: { accepted: 0, refused: 0, unanswered: 0 }, rejected: 0, gaveUp: 0, retries: 0, reads: 0, failedReads: 0 };
  const auth = { authorization: `Bearer ${DEV_MERCHANT_KEY}` };

  /** Polls the payment until `ok` holds or it is final some other way; undefined after the deadline. */
  async function waitForStatus(id: string, ok: (status: string) => boolean, ms: number): Promise<string | undefined> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const res = await publicFetch(`/v1/payments/${id}`, { headers: auth, signal: AbortSignal.timeout(15_000) }).catch(() => null);
      const status = res?.status === 200 ? ((await res.json()) as { status: string }).status : (await res?.arrayBuffer().catch(() => {}), undefined);
      if (status && ok(status)) return status;
      if (status && status !== "PENDING") return undefined;
      await Bun.sleep(500);
    }
    return undefined;
  }

  /** A capture or refund, retried with the same key until it has a definite answer. */
  async function command(path: string, body: unknown): Promise<void> {
    const key = crypto.randomUUID();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await publicFetch(path, {
        method: "POST",
        headers: { ...auth, "idempotency-key": key, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      }).catch(() => null);
      await res?.arrayBuffer().catch(() => {});
      if (res?.status === 201 || res?.status === 202) return void stats.commands.accepted++;
      if (res?.status === 409) return void stats.commands.refused++;
      if (Date.now() > deadline) return void stats.commands.unanswered++;
      await Bun.sleep(250);
    }
  }

  async function lifecycle(id: string, i: number, amount: number, manual: boolean): Promise<void> {
    if (manual) {
      // Longer than every retry tier and the faults between them: in the long profile a held
      // payment was authorized 5 min 15 s after its create, and with 5 min it was left uncaptured.
      if (await waitForStatus(id, (s) => s === "AUTHORIZED", 900_000))
        await command(`/v1/payments/${id}/capture`, i % 2 ? {} : { amount: Math.max(1, amount - 100) });
      return;
    }
    if (!(await waitForStatus(id, (s) => s === "APPROVED", 900_000))) return;
    const part = Math.max(1, Math.floor(amount * 0.4));
    await command("/v1/refunds", { payment_id: id, amount: part });
    await Promise.all([command("/v1/refunds", { payment_id: id, amount: part }), command("/v1/refunds", { payment_id: id, amount: part })]);
  }

  async function readBack(id: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await publicFetch(`/v1/payments/${id}`, {
        headers: { authorization: `Bearer ${DEV_MERCHANT_KEY}` },
        signal: AbortSignal.timeout(15_000),
      }).catch(() => null);
      await res?.text().catch(() => "");
      if (res?.status === 200) {
        stats.reads++;
        return;
      }
      // A 500 from the API itself is a failed read; a 503 (the database briefly unavailable, with
      // Retry-After), a proxy error or a reset is retried, as the API asks a careful client to.
      if (res?.status === 500 || Date.now() > deadline) {
        stats.failedReads++;
        return;
      }
      await Bun.sleep(250);
    }
  }

  async function createOne(i: number, total: number): Promise<void> {
    const method = pick(i, total);
    const key = crypto.randomUUID();
    const visa = method === "pm_card_visa";
    const manual = visa && i % 10 === 3;
    const refunded = visa && i % 10 === 6;
    const amount = 500 + (i % 5000);
    const body = {
      amount,
      currency: i % 7 === 0 ? "JPY" : "EUR",
      payment_method: method,
      ...(manual ? { capture_method: "manual" } : {}),
      customer: { email: `chaos-${i}@example.test`, name: "Chaos <b>Monkey</b>" },
    };
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await postPayment(body, { idempotencyKey: key, signal: AbortSignal.timeout(15_000) }).catch(() => null);
      if (res?.status === 201) {
        const id = ((await res.json()) as { id: string }).id;
        stats.created.push({ id, method });
        await readBack(id);
        if (manual || refunded) await lifecycle(id, i, amount, manual);
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
