/**
 * Refunds through the official SDK: partial refunds up to the captured amount and not a cent
 * more, refusals on money never captured, parallel requests that cannot over-refund, replay
 * and faults, Stripe's asynchronous test cards on the simulated clock, listing, and the
 * ledger's and request log's account of it all.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { authorize, charge, headerOf, rejection, startSimulator } from "./testing.ts";

const run = startSimulator();
const stripe = run.stripe();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const HOUR = 3_600_000;
const forPayment = (id: string) => run.admin("GET", `/__admin/charges/${id}`);
const faults = (body: unknown) => run.admin("POST", "/__admin/faults", body);
const advance = (ms: number) => run.admin("POST", "/__admin/clock", { advanceMs: ms });
const refund = (params: Stripe.RefundCreateParams, key?: string) => stripe.refunds.create(params, key ? { idempotencyKey: key } : {});

describe("refunding captured money", () => {
  test("partial refunds add up to the amount received and not a cent more", async () => {
    const pi = await charge(stripe, "pay_r");
    const first = await refund({ payment_intent: pi.id, amount: 500, reason: "requested_by_customer", metadata: { command: "c1" } }, "c1");
    expect(first).toMatchObject({
      object: "refund",
      amount: 500,
      currency: "usd",
      status: "succeeded",
      payment_intent: pi.id,
      charge: pi.latest_charge,
      reason: "requested_by_customer",
      metadata: { command: "c1" },
    });
    expect(first.id).toStartWith("re_");
    const tooMuch = await rejection(refund({ payment_intent: pi.id, amount: 1501 }, "c2"));
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.code).toBe("amount_too_large");
    expect(tooMuch.param).toBe("amount");
    expect(tooMuch.message).toBe("Refund amount ($15.01) is greater than unrefunded amount on charge ($15.00)");
    expect((await refund({ payment_intent: pi.id, amount: 1500 }, "c3")).amount).toBe(1500);
    const none = await rejection(refund({ payment_intent: pi.id, amount: 1 }, "c4"));
    expect(none.code).toBe("charge_already_refunded");
    expect(none.message).toBe(`Charge ${pi.latest_charge} has already been refunded.`);
    const ledger = await forPayment("pay_r");
    expect(ledger).toMatchObject({ charges: 1, captured: 2000, refunded: 2000, pendingRefunds: 0, refundCount: 2 });
    expect(ledger.refunds.map((r: any) => [r.amount, r.status])).toEqual([
      [500, "succeeded"],
      [1500, "succeeded"],
    ]);
    expect(ledger.byIntent[pi.id]).toMatchObject({ captured: 2000, refunded: 2000, refundCount: 2 });
  });

  test("without an amount the refund takes what remains; by charge id works the same", async () => {
    const pi = await charge(stripe, "pay_rest");
    await refund({ payment_intent: pi.id, amount: 300 });
    const rest = await refund({ charge: pi.latest_charge as string });
    expect(rest).toMatchObject({ amount: 1700, payment_intent: pi.id });
    const read = await stripe.paymentIntents.retrieve(pi.id, { expand: ["latest_charge"] });
    expect(read.latest_charge).toMatchObject({ amount_captured: 2000, amount_refunded: 2000, refunded: true });
  });

  test("a partial capture can be refunded up to what was captured", async () => {
    const pi = await authorize(stripe, "pay_pc");
    await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1200 });
    expect((await rejection(refund({ payment_intent: pi.id, amount: 1201 }))).code).toBe("amount_too_large");
    expect((await refund({ payment_intent: pi.id })).amount).toBe(1200);
    expect(await forPayment("pay_pc")).toMatchObject({ authorized: 2000, captured: 1200, refunded: 1200 });
  });

  test("money never captured cannot be refunded: authorized, canceled or declined", async () => {
    const held = await authorize(stripe, "pay_held");
    const err = await rejection(refund({ payment_intent: held.id }, "r_held"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.code).toBe("payment_intent_unexpected_state");
    expect(err.param).toBe("payment_intent");
    expect(err.message).toBe(`This PaymentIntent (${held.id}) does not have a successful charge to refund.`);
    // Decided inside the endpoint, so the refusal is saved under the key.
    expect(headerOf((await rejection(refund({ payment_intent: held.id }, "r_held"))).headers, "idempotent-replayed")).toBe("true");
    await stripe.paymentIntents.cancel(held.id);
    expect((await rejection(refund({ charge: held.latest_charge as string }))).code).toBe("payment_intent_unexpected_state");
    const declined = await rejection(charge(stripe, "pay_declined", "pm_card_visa_chargeDeclined"));
    expect((await rejection(refund({ payment_intent: declined.payment_intent.id }))).code).toBe("payment_intent_unexpected_state");
    expect(await forPayment("pay_held")).toMatchObject({ captured: 0, refunded: 0, refundCount: 0 });
  });

  test("parameters are checked before the endpoint: nothing saved, a corrected retry with the key runs", async () => {
    const pi = await charge(stripe, "pay_p");
    expect((await rejection(refund({} as Stripe.RefundCreateParams, "r_p"))).code).toBe("parameter_missing");
    expect((await rejection(refund({ payment_intent: "pi_nope" }, "r_p"))).code).toBe("resource_missing");
    expect((await rejection(refund({ charge: "ch_nope" }, "r_p"))).param).toBe("charge");
    expect((await rejection(refund({ payment_intent: pi.id, reason: "bored" as any }, "r_p"))).param).toBe("reason");
    expect((await rejection(refund({ payment_intent: pi.id, amount: 0 }, "r_p"))).code).toBe("parameter_invalid_integer");
    expect((await refund({ payment_intent: pi.id, amount: 100 }, "r_p")).amount).toBe(100);
  });
});

describe("parallel refunds, replay and faults", () => {
  test("refund requests in parallel with distinct keys never exceed the captured amount", async () => {
    const pi = await charge(stripe, "pay_par");
    await faults({ latency: { meanMs: 40, jitterMs: 30 } });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => refund({ payment_intent: pi.id, amount: 300 }, `par_${i}`)));
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(6);
    for (const r of results) if (r.status === "rejected") expect(["amount_too_large", "charge_already_refunded"]).toContain(r.reason.code);
    const rest = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => refund({ payment_intent: pi.id }, `rest_${i}`)));
    expect(rest.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<Stripe.Refund>).value.amount)).toEqual([200]);
    expect(await forPayment("pay_par")).toMatchObject({ captured: 2000, refunded: 2000, refundCount: 7 });
  });

  test("a refund replayed with the same key is the same refund; other parameters are an idempotency error", async () => {
    const pi = await charge(stripe, "pay_rep");
    const first = await refund({ payment_intent: pi.id, amount: 700 }, "cmd_refund_1");
    const again = await refund({ payment_intent: pi.id, amount: 700 }, "cmd_refund_1");
    expect(again.id).toBe(first.id);
    expect(headerOf(again.lastResponse.headers, "idempotent-replayed")).toBe("true");
    expect(await rejection(refund({ payment_intent: pi.id, amount: 701 }, "cmd_refund_1"))).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(await forPayment("pay_rep")).toMatchObject({ refunded: 700, refundCount: 1 });
  });

  test("an after-phase 500: the refund happened; the retry with the key replays it and refunds nothing more", async () => {
    const pi = await charge(stripe, "pay_rf");
    await faults({ next: [{ kind: "500", phase: "after" }] });
    const err = await rejection(refund({ payment_intent: pi.id, amount: 800 }, "r_after"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(await forPayment("pay_rf")).toMatchObject({ refunded: 800, refundCount: 1 });
    const retry = await refund({ payment_intent: pi.id, amount: 800 }, "r_after");
    expect(headerOf(retry.lastResponse.headers, "idempotent-replayed")).toBe("true");
    expect((await forPayment("pay_rf")).refunds).toEqual([{ id: retry.id, amount: 800, status: "succeeded", paymentIntent: pi.id }]);
  });

  test("a before-phase fault by rule refunds nothing; the request log names the payment of every refund request", async () => {
    const pi = await charge(stripe, "pay_rl");
    await faults({ rules: [{ match: { payment_id: "pay_rl" }, kind: "503", phase: "before", times: 1 }] });
    expect((await rejection(refund({ payment_intent: pi.id }, "r_rl"))).statusCode).toBe(503);
    expect((await forPayment("pay_rl")).refundCount).toBe(0);
    const r = await refund({ charge: pi.latest_charge as string }, "r_rl2");
    await stripe.refunds.retrieve(r.id);
    await stripe.refunds.list({ payment_intent: pi.id });
    const log = (await run.admin("GET", "/__admin/requests?payment_id=pay_rl")).data;
    expect(log.map((e: any) => [e.method, e.path, e.status, e.fault])).toEqual([
      ["POST", "/v1/payment_intents", 200, null],
      ["POST", "/v1/refunds", 503, "503/before"],
      ["POST", "/v1/refunds", 200, null],
      ["GET", `/v1/refunds/${r.id}`, 200, null],
      ["GET", "/v1/refunds", 200, null],
    ]);
  });
});

describe("Stripe's asynchronous refund test cards, on the simulated clock", () => {
  test("pm_card_refundFail: succeeded at first, failed later with expired_or_canceled_card; the amount can be refunded again", async () => {
    const pi = await charge(stripe, "pay_rfail", "pm_card_refundFail");
    const r = await refund({ payment_intent: pi.id }, "r_fail");
    expect(r.status).toBe("succeeded");
    expect((await rejection(refund({ payment_intent: pi.id }))).code).toBe("charge_already_refunded");
    expect(await forPayment("pay_rfail")).toMatchObject({ refunded: 2000 });
    await advance(2 * HOUR);
    const failed = await stripe.refunds.retrieve(r.id);
    expect(failed).toMatchObject({ status: "failed", failure_reason: "expired_or_canceled_card", amount: 2000 });
    expect(await forPayment("pay_rfail")).toMatchObject({ refunded: 0, pendingRefunds: 0, refundCount: 1 });
    expect((await refund({ payment_intent: pi.id, amount: 2000 }, "r_fail_2")).status).toBe("succeeded");
  });

  test("pm_card_pendingRefund: pending (it holds its amount), then succeeded", async () => {
    const pi = await charge(stripe, "pay_rpend", "pm_card_pendingRefund");
    const r = await refund({ payment_intent: pi.id, amount: 1500 });
    expect(r).toMatchObject({ status: "pending", pending_reason: "processing" });
    expect((await rejection(refund({ payment_intent: pi.id, amount: 501 }))).code).toBe("amount_too_large");
    expect(await forPayment("pay_rpend")).toMatchObject({ refunded: 0, pendingRefunds: 1500 });
    await advance(2 * HOUR);
    // The ledger sees the gateway's progress without any client read.
    expect(await forPayment("pay_rpend")).toMatchObject({ refunded: 1500, pendingRefunds: 0 });
    const done = await stripe.refunds.retrieve(r.id);
    expect(done.status).toBe("succeeded");
    expect(done.pending_reason).toBeUndefined();
  });
});

describe("reading refunds", () => {
  test("list by payment_intent or charge, newest first, with limit, cursors and has_more", async () => {
    const pi = await charge(stripe, "pay_list");
    const other = await charge(stripe, "pay_other");
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await refund({ payment_intent: pi.id, amount: 100 })).id);
    await refund({ payment_intent: other.id, amount: 100 });
    const newest = [...made].reverse();
    const page = await stripe.refunds.list({ payment_intent: pi.id, limit: 2 });
    expect(page.object).toBe("list");
    expect(page.data.map((r) => r.id)).toEqual(newest.slice(0, 2));
    expect(page.has_more).toBe(true);
    const next = await stripe.refunds.list({ payment_intent: pi.id, limit: 2, starting_after: page.data[1]!.id });
    expect(next.data.map((r) => r.id)).toEqual(newest.slice(2, 4));
    const back = await stripe.refunds.list({ payment_intent: pi.id, limit: 2, ending_before: newest[2]! });
    expect(back.data.map((r) => r.id)).toEqual(newest.slice(0, 2));
    expect(back.has_more).toBe(false);
    expect((await stripe.refunds.list({ payment_intent: pi.id }).autoPagingToArray({ limit: 100 })).map((r) => r.id)).toEqual(newest);
    expect((await stripe.refunds.list({ charge: other.latest_charge as string })).data).toHaveLength(1);
    expect((await stripe.refunds.list({ limit: 100 })).data).toHaveLength(6);
  });

  test("an unknown refund is a 404 resource_missing", async () => {
    const err = await rejection(stripe.refunds.retrieve("re_missing"));
    expect(err.statusCode).toBe(404);
    expect(err.code).toBe("resource_missing");
  });
});
