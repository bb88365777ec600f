/**
 * Manual capture and cancel through the official SDK: full and partial capture, the
 * unexpected-state refusals, the 7-day expiry of an uncaptured authorization on the
 * simulated clock, idempotency and faults on the new endpoints, and the ledger's account
 * of what was authorized and captured.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { authorize, charge, headerOf, rejection, startSimulator } from "./testing.ts";

const run = startSimulator();
const stripe = run.stripe();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const DAY = 86_400_000;
const forPayment = (id: string) => run.admin("GET", `/__admin/charges/${id}`);
const faults = (body: unknown) => run.admin("POST", "/__admin/faults", body);
const advance = (ms: number) => run.admin("POST", "/__admin/clock", { advanceMs: ms });

describe("capture", () => {
  test("an authorization holds the amount; a full capture charges it once", async () => {
    const pi = await authorize(stripe, "pay_c");
    expect(pi.status).toBe("requires_capture");
    expect(pi.amount_capturable).toBe(2000);
    expect(await forPayment("pay_c")).toMatchObject({ charges: 0, authorized: 2000, capturable: 2000, captured: 0 });

    const captured = await stripe.paymentIntents.capture(pi.id, {}, { idempotencyKey: "cmd_capture_1" });
    expect(captured).toMatchObject({ status: "succeeded", amount_received: 2000, amount_capturable: 0 });
    expect(await forPayment("pay_c")).toMatchObject({ charges: 1, authorized: 2000, capturable: 0, captured: 2000 });
    expect((await run.admin("GET", "/__admin/charges")).byIdempotencyKey).toEqual({ cmd_capture_1: 1 });
  });

  test("a partial capture takes what is asked and releases the rest", async () => {
    const pi = await authorize(stripe, "pay_part");
    const captured = await stripe.paymentIntents.capture(
      pi.id,
      { amount_to_capture: 1500, metadata: { captured_by: "cmd_9" } },
      { idempotencyKey: "cap_part" },
    );
    expect(captured).toMatchObject({ status: "succeeded", amount: 2000, amount_received: 1500, amount_capturable: 0 });
    expect(captured.metadata).toEqual({ payment_id: "pay_part", captured_by: "cmd_9" });
    expect(await forPayment("pay_part")).toMatchObject({ charges: 1, authorized: 2000, capturable: 0, captured: 1500 });
  });

  test("a second capture is refused with payment_intent_unexpected_state and the intent attached; nothing more is charged", async () => {
    const pi = await authorize(stripe, "pay_twice");
    await stripe.paymentIntents.capture(pi.id, {}, { idempotencyKey: "cap_1" });
    const err = await rejection(stripe.paymentIntents.capture(pi.id, {}, { idempotencyKey: "cap_2" }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.statusCode).toBe(400);
    expect(err.code).toBe("payment_intent_unexpected_state");
    expect(err.message).toContain("it has a status of succeeded");
    expect(err.payment_intent).toMatchObject({ id: pi.id, status: "succeeded" });
    expect(await forPayment("pay_twice")).toMatchObject({ charges: 1, captured: 2000 });
  });

  test("capturing an automatic-capture intent is refused the same way", async () => {
    const pi = await charge(stripe, "pay_auto");
    expect((await rejection(stripe.paymentIntents.capture(pi.id))).code).toBe("payment_intent_unexpected_state");
  });

  test("more than the capturable amount is a 400 amount_too_large; the hold stays and can still be captured", async () => {
    const pi = await authorize(stripe, "pay_big");
    const err = await rejection(stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2001 }, { idempotencyKey: "cap_big" }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.code).toBe("amount_too_large");
    expect(err.param).toBe("amount_to_capture");
    expect(err.payment_intent.status).toBe("requires_capture");
    expect((await stripe.paymentIntents.retrieve(pi.id)).amount_capturable).toBe(2000);
    expect((await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 2000 })).amount_received).toBe(2000);
  });

  test("bad parameters are refused before the endpoint and save nothing under the key", async () => {
    const pi = await authorize(stripe, "pay_bad");
    const zero = await rejection(stripe.paymentIntents.capture(pi.id, { amount_to_capture: 0 }, { idempotencyKey: "cap_bad" }));
    expect(zero.code).toBe("parameter_invalid_integer");
    const unknown = await rejection(stripe.paymentIntents.capture(pi.id, { surprise: 1 } as any, { idempotencyKey: "cap_bad" }));
    expect(unknown.code).toBe("parameter_unknown");
    expect((await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 100 }, { idempotencyKey: "cap_bad" })).amount_received).toBe(100);
    expect((await rejection(stripe.paymentIntents.capture("pi_missing"))).statusCode).toBe(404);
  });

  test("expand latest_charge shows the charge: captured and its amount", async () => {
    const pi = await authorize(stripe, "pay_exp");
    const held = await stripe.paymentIntents.retrieve(pi.id, { expand: ["latest_charge"] });
    expect(held.latest_charge).toMatchObject({ object: "charge", id: pi.latest_charge, captured: false, amount_captured: 0 });
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1200, expand: ["latest_charge"] });
    expect(captured.latest_charge).toMatchObject({ captured: true, amount_captured: 1200, amount_refunded: 0, refunded: false, status: "succeeded" });
    expect(typeof (await stripe.paymentIntents.retrieve(pi.id)).latest_charge).toBe("string");
  });
});

describe("cancel", () => {
  test("canceling an authorization releases it: canceled, canceled_at, the reason; nothing charged", async () => {
    const pi = await authorize(stripe, "pay_void");
    const canceled = await stripe.paymentIntents.cancel(pi.id, { cancellation_reason: "requested_by_customer" }, { idempotencyKey: "void_1" });
    expect(canceled).toMatchObject({ status: "canceled", cancellation_reason: "requested_by_customer", amount_capturable: 0 });
    expect(canceled.canceled_at).toBeGreaterThanOrEqual(pi.created);
    expect(await forPayment("pay_void")).toMatchObject({ charges: 0, authorized: 2000, capturable: 0, captured: 0 });
    const capture = await rejection(stripe.paymentIntents.capture(pi.id));
    expect(capture.code).toBe("payment_intent_unexpected_state");
    expect(capture.message).toContain("status of canceled");
    expect((await rejection(stripe.paymentIntents.cancel(pi.id))).code).toBe("payment_intent_unexpected_state");
  });

  test("an intent not yet confirmed can be canceled; the reason is optional", async () => {
    const noMethod = await stripe.paymentIntents.create({ amount: 2000, currency: "usd", allowed_payment_method_types: ["card"] });
    expect(noMethod.status).toBe("requires_payment_method");
    expect(await stripe.paymentIntents.cancel(noMethod.id)).toMatchObject({ status: "canceled", cancellation_reason: null });
    const unconfirmed = await stripe.paymentIntents.create({
      amount: 2000,
      currency: "usd",
      payment_method: "pm_card_visa",
      allowed_payment_method_types: ["card"],
    });
    expect((await stripe.paymentIntents.cancel(unconfirmed.id, { cancellation_reason: "abandoned" })).status).toBe("canceled");
  });

  test("after a capture, or on an automatic charge, cancel is refused and nothing changes", async () => {
    const pi = await authorize(stripe, "pay_late");
    await stripe.paymentIntents.capture(pi.id);
    const err = await rejection(stripe.paymentIntents.cancel(pi.id, {}, { idempotencyKey: "void_late" }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err.code).toBe("payment_intent_unexpected_state");
    expect(err.message).toContain("status of succeeded");
    expect(err.payment_intent.status).toBe("succeeded");
    expect((await rejection(stripe.paymentIntents.cancel((await charge(stripe, "pay_auto_void")).id))).code).toBe("payment_intent_unexpected_state");
    expect(await forPayment("pay_late")).toMatchObject({ charges: 1, captured: 2000 });
  });

  test("a processing intent cannot be canceled", async () => {
    const pi = await charge(stripe, "pay_proc", "pm_card_processing");
    expect(pi.status).toBe("processing");
    expect((await rejection(stripe.paymentIntents.cancel(pi.id))).code).toBe("payment_intent_unexpected_state");
  });

  test("an unknown cancellation_reason is a 400 on the param", async () => {
    const pi = await authorize(stripe, "pay_reason");
    const err = await rejection(stripe.paymentIntents.cancel(pi.id, { cancellation_reason: "bored" as any }));
    expect(err.param).toBe("cancellation_reason");
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe("requires_capture");
  });
});

describe("an authorization left uncaptured for 7 days", () => {
  test("is canceled by the gateway (reason automatic) as of its expiry, seen on the next read; capture is then refused", async () => {
    const pi = await authorize(stripe, "pay_exp7");
    await advance(7 * DAY - 60_000);
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe("requires_capture");
    await advance(120_000);
    const read = await stripe.paymentIntents.retrieve(pi.id);
    expect(read).toMatchObject({ status: "canceled", cancellation_reason: "automatic", amount_capturable: 0, amount_received: 0 });
    expect(read.canceled_at! - pi.created).toBeGreaterThanOrEqual(7 * 86_400 - 1);
    expect(read.canceled_at! - pi.created).toBeLessThanOrEqual(7 * 86_400 + 1);
    const err = await rejection(stripe.paymentIntents.capture(pi.id, {}, { idempotencyKey: "cap_expired" }));
    expect(err.code).toBe("payment_intent_unexpected_state");
    expect(await forPayment("pay_exp7")).toMatchObject({ charges: 0, authorized: 2000, capturable: 0, captured: 0 });
  });

  test("a manual-capture intent that was processing is held once it settles, and its 7 days start then", async () => {
    const pi = await authorize(stripe, "pay_proc_hold", "pm_card_processing");
    expect(pi.status).toBe("processing");
    await advance(2 * 3_600_000);
    expect(await stripe.paymentIntents.retrieve(pi.id)).toMatchObject({ status: "requires_capture", amount_capturable: 2000 });
    await advance(7 * DAY - 2 * 3_600_000);
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe("requires_capture");
    await advance(2 * 3_600_000);
    expect((await stripe.paymentIntents.retrieve(pi.id)).cancellation_reason).toBe("automatic");
  });

  test("a capture command is the first to see the expiry; the ledger sees it without any read", async () => {
    const pi = await authorize(stripe, "pay_exp_cmd");
    await authorize(stripe, "pay_exp_quiet");
    await advance(8 * DAY);
    expect(await forPayment("pay_exp_quiet")).toMatchObject({ authorized: 2000, capturable: 0, charges: 0 });
    const err = await rejection(stripe.paymentIntents.capture(pi.id));
    expect(err.payment_intent).toMatchObject({ status: "canceled", cancellation_reason: "automatic" });
  });
});

describe("idempotency and faults on capture and cancel", () => {
  test("a capture replayed with its key returns the saved answer; other parameters are an idempotency error", async () => {
    const pi = await authorize(stripe, "pay_rep");
    const first = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1000 }, { idempotencyKey: "cmd_1" });
    const again = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 1000 }, { idempotencyKey: "cmd_1" });
    expect(again.amount_received).toBe(first.amount_received);
    expect(headerOf(again.lastResponse.headers, "idempotent-replayed")).toBe("true");
    const other = await rejection(stripe.paymentIntents.capture(pi.id, { amount_to_capture: 900 }, { idempotencyKey: "cmd_1" }));
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    const otherEndpoint = await rejection(stripe.paymentIntents.cancel(pi.id, {}, { idempotencyKey: "cmd_1" }));
    expect(otherEndpoint).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(await forPayment("pay_rep")).toMatchObject({ charges: 1, captured: 1000 });
  });

  test("an after-phase 500 on a capture: captured all the same; the retry with the key replays, nothing charged twice", async () => {
    const pi = await authorize(stripe, "pay_cf");
    await faults({ next: [{ kind: "500", phase: "after" }] });
    const err = await rejection(stripe.paymentIntents.capture(pi.id, {}, { idempotencyKey: "cap_cf" }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(await forPayment("pay_cf")).toMatchObject({ charges: 1, captured: 2000 });
    const retry = await stripe.paymentIntents.capture(pi.id, {}, { idempotencyKey: "cap_cf" });
    expect(retry.status).toBe("succeeded");
    expect(headerOf(retry.lastResponse.headers, "idempotent-replayed")).toBe("true");
    expect(await forPayment("pay_cf")).toMatchObject({ charges: 1, captured: 2000 });
  });

  test("fault rules match capture and cancel by the intent's metadata; the request log names their payment", async () => {
    const a = await authorize(stripe, "pay_ra");
    const b = await authorize(stripe, "pay_rb");
    await faults({ rules: [{ match: { payment_id: "pay_ra" }, kind: "503", phase: "before", times: 1 }] });
    expect((await rejection(stripe.paymentIntents.capture(a.id, {}, { idempotencyKey: "cap_ra" }))).statusCode).toBe(503);
    expect((await forPayment("pay_ra")).charges).toBe(0);
    expect((await stripe.paymentIntents.cancel(b.id, {}, { idempotencyKey: "void_rb" })).status).toBe("canceled");
    expect((await stripe.paymentIntents.capture(a.id, {}, { idempotencyKey: "cap_ra" })).status).toBe("succeeded");
    const log = (await run.admin("GET", "/__admin/requests?payment_id=pay_ra")).data;
    expect(log.map((r: any) => [r.method, r.path, r.idempotencyKey, r.status, r.fault])).toEqual([
      ["POST", "/v1/payment_intents", "pay_ra", 200, null],
      ["POST", `/v1/payment_intents/${a.id}/capture`, "cap_ra", 503, "503/before"],
      ["POST", `/v1/payment_intents/${a.id}/capture`, "cap_ra", 200, null],
    ]);
    const cancels = (await run.admin("GET", "/__admin/requests?payment_id=pay_rb")).data;
    expect(cancels.map((r: any) => r.path)).toEqual(["/v1/payment_intents", `/v1/payment_intents/${b.id}/cancel`]);
  });
});
