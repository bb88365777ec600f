/**
 * What an endpoint that executed returns: the status and body the idempotency layer saves
 * and replays. A body carries copies of the objects, so a later command cannot change an
 * answer already saved for replay.
 */
import type { ErrorBody } from "./errors.ts";
import type { PaymentIntent } from "./objects.ts";

/** An executed endpoint's answer: 200 with the object, or a saved error such as a 402 decline. */
export type Executed = { status: number; body: unknown };

export function snapshot<T>(o: T): T {
  return structuredClone(o);
}

export const ok = (o: unknown): Executed => ({ status: 200, body: snapshot(o) });

/** A 400 about a PaymentIntent, with the intent attached as Stripe attaches it. */
export function errorWith(pi: PaymentIntent, body: ErrorBody): Executed {
  return { status: 400, body: { error: { ...body, payment_intent: snapshot(pi) } } };
}

/** A 400 decided inside the endpoint (so saved under the key), without an object attached. */
export const refused = (body: ErrorBody): Executed => ({ status: 400, body: { error: body } });
