/**
 * When the worker may ask the gateway to charge, and under which idempotency key. Pure:
 * unit-tested in plan.test.ts; the rules are written down in docs/decisions.md.
 *
 * A gateway keeps an idempotency key for 24 hours. Within that window a create with the
 * same key replays the first answer and charges nothing new; after it, the same key
 * charges again. So:
 * - a payment that is already final is never sent to the gateway (worker.ts);
 * - a payment whose intent id is known is resolved by retrieving that intent;
 * - a payment whose earlier attempt may have reached the gateway (a retry, a replay, a
 *   recorded failure, a minted key, or a payment old enough for its key to have expired)
 *   is first looked up by `metadata['payment_id']`; only when the gateway has no intent
 *   for it is a create sent;
 * - otherwise (the first delivery) the create goes out at once with the current key. A
 *   redelivery after a crash looks like a first delivery, and is safe for the same reason
 *   any retry within the window is: the key replays.
 * - a look-up that fails (a timeout, a 5xx) says nothing; a young payment's create may
 *   still go out, since its key replays (keyStillReplays), an old one's may not.
 */
import type { Call, Charge, Connector } from "../../shared/connectors/types.ts";
import type { PaymentRow } from "./payment-row.ts";

/** The margin taken off a gateway's key window, for clocks and for the time between create and call. */
const KEY_MARGIN_MS = 60 * 60 * 1000;

/**
 * A payment this old may have had its key forgotten by the gateway (Stripe: 24 h), so its
 * first call is a look-up even on a first delivery (an offset reset, a new consumer group,
 * a restored backup).
 */
export const keyTrustMs = (c: Pick<Connector, "keyWindowMs">): number => c.keyWindowMs - KEY_MARGIN_MS;
/** Stripe's: 23 hours. */
export const KEY_TRUST_MS = 23 * 60 * 60 * 1000;

export type Attempt = {
  /** 1 on the first delivery (also after a crash), n after n-1 failures. */
  readonly attempt: number;
  /** An operator's replay of a dead letter. */
  readonly replay: boolean;
  /** When the message first failed (x-first-failure-at), if it ever did. */
  readonly firstFailureAt: number | null;
};

export const idempotencyKeyOf = (row: Pick<PaymentRow, "id" | "gateway_key_seq">): string =>
  row.gateway_key_seq === 0 ? row.id : `${row.id}:k${row.gateway_key_seq}`;

export const chargeOf = (row: PaymentRow): Charge => ({
  paymentId: row.id,
  merchantId: row.merchant_id,
  amount: row.amount,
  currency: row.currency,
  paymentMethod: row.payment_method,
  captureMethod: row.capture_method,
});

/**
 * Every key of this payment was first used after the payment was created, so while the
 * payment is younger than KEY_TRUST_MS the gateway still holds its current key: a create
 * with it either runs for the first time or replays the first answer, and never charges anew.
 */
export const keyStillReplays = (row: PaymentRow, now: number, trustMs = KEY_TRUST_MS): boolean => now - row.created_at.getTime() <= trustMs;

export function mayHaveReachedGateway(row: PaymentRow, a: Attempt, now: number, trustMs = KEY_TRUST_MS): boolean {
  return a.attempt > 1 || a.replay || row.last_error !== null || row.gateway_key_seq > 0 || !keyStillReplays(row, now, trustMs);
}

/**
 * The first call to the connector for a pending payment: a retrieve by its ref when known, a
 * find by our payment id when an earlier attempt may have reached the connector, else the
 * create. A connector that cannot look up (`replay`, Adyen) answers both with the same
 * request again under the same key, which returns the first answer.
 */
export function firstCall(
  row: PaymentRow,
  a: Attempt,
  now: number,
  connector: Pick<Connector, "keyWindowMs"> = { keyWindowMs: KEY_TRUST_MS + KEY_MARGIN_MS },
): Call {
  const idempotencyKey = idempotencyKeyOf(row);
  const charge = chargeOf(row);
  if (row.gateway_intent_id !== null) return { op: "retrieve", ref: row.gateway_intent_id, charge, idempotencyKey };
  if (mayHaveReachedGateway(row, a, now, keyTrustMs(connector))) return { op: "search", paymentId: row.id, charge, idempotencyKey };
  return { op: "create", idempotencyKey, charge };
}

/**
 * A create under the current key was answered with a REPLAYED error (a 500 the gateway
 * stored under the key), right after a search found no intent for the payment: the key
 * can never charge, so the next attempt uses a new one. The search must be trustworthy:
 * Stripe's search index trails writes (usually by under a minute), so a new key is minted
 * only once the payment's first failure is older than `searchLagMs`.
 */
export function shouldMintKey(o: { replayedError: boolean; searchedEmpty: boolean; firstFailureAt: number | null; now: number; searchLagMs: number }): boolean {
  return o.replayedError && o.searchedEmpty && o.firstFailureAt !== null && o.now - o.firstFailureAt >= o.searchLagMs;
}
