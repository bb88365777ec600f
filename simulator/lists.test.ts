/**
 * Listing through the official SDK, as a reconciliation reads a gateway: every PaymentIntent
 * and every refund created in a window of the simulated clock, newest first, page by page
 * with the SDK's auto-pagination, and Stripe's refusals of a list it would not answer.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { authorize, charge, rejection, startSimulator } from "./testing.ts";

const run = startSimulator();
const stripe = run.stripe();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const HOUR = 3_600_000;
const advance = (ms: number) => run.admin("POST", "/__admin/clock", { advanceMs: ms });
const ids = (list: { data: { id: string }[] }) => list.data.map((o) => o.id);

/** Three intents an hour apart or more: created a < b < c, in seconds. */
async function threeIntents() {
  const a = await charge(stripe, "pay_a");
  await advance(2 * HOUR);
  const b = await charge(stripe, "pay_b");
  await advance(2 * HOUR);
  const c = await charge(stripe, "pay_c");
  return { a, b, c };
}

describe("GET /v1/payment_intents", () => {
  test("newest first, ten by default, has_more; the SDK's auto-pagination reads them all", async () => {
    const made = [];
    for (let i = 0; i < 12; i++) made.push((await charge(stripe, `pay_${i}`)).id);
    const first = await stripe.paymentIntents.list();
    expect(first).toMatchObject({ object: "list", has_more: true, url: "/v1/payment_intents" });
    expect(ids(first)).toEqual(made.toReversed().slice(0, 10));
    const all = await stripe.paymentIntents.list({ limit: 5 }).autoPagingToArray({ limit: 1000 });
    expect(all.map((pi) => pi.id)).toEqual(made.toReversed());
    expect(all[0]!.metadata).toEqual({ payment_id: "pay_11" });
  });

  test("created[gte|gt|lte|lt] select by creation time on the simulated clock; a bare timestamp is that second", async () => {
    const { a, b, c } = await threeIntents();
    expect(ids(await stripe.paymentIntents.list({ created: { gte: b.created, lt: c.created } }))).toEqual([b.id]);
    expect(ids(await stripe.paymentIntents.list({ created: { gt: a.created } }))).toEqual([c.id, b.id]);
    expect(ids(await stripe.paymentIntents.list({ created: { lte: b.created } }))).toEqual([b.id, a.id]);
    expect(ids(await stripe.paymentIntents.list({ created: b.created }))).toEqual([b.id]);
    const window = stripe.paymentIntents.list({ created: { gte: a.created, lt: c.created }, limit: 1 });
    expect((await window.autoPagingToArray({ limit: 10 })).map((pi) => pi.id)).toEqual([b.id, a.id]);
  });

  test("starting_after and ending_before page through the list; an unknown cursor is a 400", async () => {
    const { a, b, c } = await threeIntents();
    const after = await stripe.paymentIntents.list({ starting_after: c.id, limit: 1 });
    expect([ids(after), after.has_more]).toEqual([[b.id], true]);
    const before = await stripe.paymentIntents.list({ ending_before: a.id, limit: 1 });
    expect([ids(before), before.has_more]).toEqual([[b.id], true]);
    const unknown = await rejection(stripe.paymentIntents.list({ starting_after: "pi_nope" }));
    expect([unknown.statusCode, unknown.code, unknown.param]).toEqual([400, "resource_missing", "starting_after"]);
  });

  test("a list shows what simulated time did: a processing intent has succeeded, an old hold has expired", async () => {
    const processing = await charge(stripe, "pay_proc", "pm_card_processing");
    const held = await authorize(stripe, "pay_held");
    await advance(8 * 24 * HOUR);
    const byId = new Map((await stripe.paymentIntents.list()).data.map((pi) => [pi.id, pi]));
    expect(byId.get(processing.id)).toMatchObject({ status: "succeeded", amount_received: 2000 });
    expect(byId.get(held.id)).toMatchObject({ status: "canceled", cancellation_reason: "automatic" });
  });

  test("a customer filter matches nothing: intents here have no customer", async () => {
    await charge(stripe, "pay_cus");
    expect((await stripe.paymentIntents.list({ customer: "cus_123" })).data).toEqual([]);
  });

  test.each([
    [{ surprise: 1 }, "parameter_unknown", "surprise"],
    [{ created: { after: 1 } }, "parameter_unknown", "created[after]"],
    [{ created: { gte: "yesterday" } }, "parameter_invalid_integer", "created[gte]"],
    [{ limit: 0 }, "parameter_invalid_integer", "limit"],
    [{ limit: 101 }, "parameter_invalid_integer", "limit"],
    [{ starting_after: "pi_a", ending_before: "pi_b" }, "parameters_exclusive", "ending_before"],
  ])("%j is refused: 400 %s on %s", async (params, code, param) => {
    const err = await rejection(stripe.paymentIntents.list(params as Stripe.PaymentIntentListParams));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect([err.statusCode, err.code, err.param]).toEqual([400, code, param]);
  });
});

describe("GET /v1/refunds by creation time", () => {
  test("created selects refunds on the simulated clock, alone or with payment_intent; unknown keys are refused", async () => {
    const one = await charge(stripe, "pay_r1");
    const two = await charge(stripe, "pay_r2");
    const early = await stripe.refunds.create({ payment_intent: one.id, amount: 500 });
    await advance(2 * HOUR);
    const late = await stripe.refunds.create({ payment_intent: two.id, amount: 700 });
    const again = await stripe.refunds.create({ payment_intent: one.id, amount: 300 });
    expect(ids(await stripe.refunds.list({ created: { gte: late.created } }))).toEqual([again.id, late.id]);
    expect(ids(await stripe.refunds.list({ created: { lt: late.created } }))).toEqual([early.id]);
    expect(ids(await stripe.refunds.list({ payment_intent: one.id, created: { gte: late.created } }))).toEqual([again.id]);
    const all = await stripe.refunds.list({ created: { gte: early.created }, limit: 1 }).autoPagingToArray({ limit: 10 });
    expect(all.map((r) => r.id)).toEqual([again.id, late.id, early.id]);
    const err = await rejection(stripe.refunds.list({ created: { since: 1 } } as never));
    expect([err.statusCode, err.code, err.param]).toEqual([400, "parameter_unknown", "created[since]"]);
  });
});
