/**
 * The Adyen connector against the simulator's Adyen mode, in-process on a random loopback
 * port (simulator/adyen/testing.ts): each test token's outcome in the neutral shapes, manual
 * capture and the asynchronous modifications, the replay look-up, faults and refusals
 * classified, and the exchange id reaching the gateway's request log.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { MERCHANT, startAdyenSimulator } from "../../../simulator/adyen/testing.ts";
import { decideError, decidePayment, ofPaymentCommand, ofRefund } from "../outcome.ts";
import type { Call, Charge } from "../types.ts";
import { createAdyenGateway } from "./gateway.ts";

const run = startAdyenSimulator({ merchantAccounts: [MERCHANT] });
const gateway = (over: { apiBase?: string; merchantAccount?: string; timeoutMs?: number } = {}) =>
  createAdyenGateway({ apiKey: "AQE_test_simulator_key", apiBase: run.baseUrl, merchantAccount: MERCHANT, timeoutMs: 2_000, ...over });
const gw = gateway();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const faults = (body: unknown) => run.admin("POST", "/__admin/faults", body);
const ledger = (paymentId: string) => run.admin("GET", `/__admin/charges/${paymentId}`);
const requests = async (paymentId?: string) => (await run.admin("GET", `/__admin/requests${paymentId ? `?payment_id=${paymentId}` : ""}`)).data;

const charge = (paymentId: string, paymentMethod = "pm_card_visa", extra: Partial<Charge> = {}): Charge => ({
  paymentId,
  merchantId: "mer_1",
  amount: 2000,
  currency: "EUR",
  paymentMethod,
  captureMethod: "automatic",
  ...extra,
});
const create = (c: Charge, key = c.paymentId, via = gw) => via.send({ op: "create", idempotencyKey: key, charge: c }, `ex_${c.paymentId}`);
const capture = (ref: string, key: string, amount = 2000): Call => ({ op: "capture", idempotencyKey: key, ref, amount, currency: "EUR", paymentId: "p" });

describe("payments: each test token in the neutral shapes", () => {
  test.each([
    ["pm_card_visa", "succeeded", undefined, undefined],
    ["pm_card_mastercard", "succeeded", undefined, undefined],
    ["pm_card_visa_chargeDeclined", "declined", "generic_decline", undefined],
    ["pm_card_visa_chargeDeclinedInsufficientFunds", "declined", "insufficient_funds", undefined],
    ["pm_card_visa_chargeDeclinedLostCard", "declined", "pickup_card", undefined],
    ["pm_card_visa_chargeDeclinedStolenCard", "declined", "pickup_card", undefined],
    ["pm_card_chargeDeclinedFraudulent", "declined", "fraudulent", undefined],
    ["pm_card_visa_chargeDeclinedVelocityLimitExceeded", "declined", "card_velocity_exceeded", undefined],
    ["pm_card_chargeDeclinedExpiredCard", "declined", "expired_card", undefined],
    ["pm_card_chargeDeclinedIncorrectCvc", "declined", "incorrect_cvc", undefined],
    ["pm_card_chargeDeclinedProcessingError", "declined", "processing_error", true],
    ["pm_card_authenticationRequired", "declined", "authentication_required", undefined],
    ["pm_card_processing", "processing", undefined, undefined],
  ] as const)("%s → %s %s", async (token, status, declineCode, soft) => {
    const id = `pay_${token}`;
    const a = await create(charge(id, token));
    expect(a.error).toBeUndefined();
    expect(a.payments).toHaveLength(1);
    const p = a.payments[0]!;
    expect(p).toMatchObject({ status, ...(declineCode ? { declineCode } : {}) });
    expect(p.soft).toBe(soft);
    expect(p.ref).toMatch(/^[A-Z0-9]{16}$/);
    expect(p.amountCaptured).toBe(status === "succeeded" ? 2000 : 0);
    expect(a.response).toMatchObject({ status: 200, requestId: p.ref });
    expect((await ledger(id)).charges).toBe(status === "succeeded" ? 1 : 0);
  });

  test("an unknown token is 422 800 Contract not found: a decline the card can never pass", async () => {
    const a = await create(charge("pay_unknown", "pm_card_doesNotExist"));
    expect(a.error).toMatchObject({ class: "declined", code: "validation_800", declineCode: "invalid_payment_method" });
    // Adyen gives a refused request a pspReference of its own, to quote to support.
    expect(a.response).toMatchObject({
      status: 422,
      requestId: expect.stringMatching(/^[A-Z0-9]{16}$/),
      body: { errorCode: "800", message: "Contract not found" },
    });
    expect(decideError(a.error!)).toMatchObject({ kind: "denied", declineCode: "invalid_payment_method" });
  });

  test("the request names our payment, merchant and token as a stored card, merchant-initiated; the audit hides the card", async () => {
    const c = charge("pay_body", "pm_card_visa", { captureMethod: "manual" });
    const d = gw.describe({ op: "create", idempotencyKey: "pay_body", charge: c });
    expect(d).toEqual({
      method: "POST",
      path: "/v72/payments",
      idempotencyKey: "pay_body",
      params: {
        amount: { value: 2000, currency: "EUR" },
        merchantAccount: MERCHANT,
        reference: "pay_body",
        paymentMethod: "[redacted]",
        shopperReference: "mer_1",
        shopperInteraction: "ContAuth",
        recurringProcessingModel: "UnscheduledCardOnFile",
        returnUrl: "https://payorch.invalid/return",
        metadata: { payment_id: "pay_body", merchant_id: "mer_1" },
        additionalData: { manualCapture: "true" },
      },
    });
    await create(c);
    const [view] = (await run.admin("GET", "/__admin/payments?payment_id=pay_body")).data;
    expect(view).toMatchObject({
      merchantReference: "pay_body",
      metadata: { payment_id: "pay_body", merchant_id: "mer_1" },
      captureMode: "manual",
      status: "authorised",
    });
  });

  test("amounts are converted where Adyen's decimals differ: CLP has two at Adyen, none here", async () => {
    const a = await create(charge("pay_clp", "pm_card_visa", { amount: 5000, currency: "CLP" }));
    expect(a.payments[0]).toMatchObject({ status: "succeeded", amountCaptured: 5000 });
    const [view] = (await run.admin("GET", "/__admin/payments?payment_id=pay_clp")).data;
    expect(view.amount).toEqual({ value: 500_000, currency: "CLP" });
  });

  test("an amount Adyen cannot express (IDR with cents) is refused without sending anything", async () => {
    const a = await create(charge("pay_idr", "pm_card_visa", { amount: 150_050, currency: "IDR" }));
    expect(a.error).toMatchObject({ class: "declined", code: "amount_not_representable", declineCode: "invalid_amount" });
    expect(await requests("pay_idr")).toEqual([]);
  });
});

describe("manual capture, then asynchronous modifications", () => {
  test("authorized; a capture, a cancel and a refund are each answered received, which the worker reads as pending", async () => {
    const held = await create(charge("pay_m", "pm_card_visa", { captureMethod: "manual" }));
    const psp = held.payments[0]!;
    expect(psp).toMatchObject({ status: "authorized", amountCaptured: 0 });
    expect(decidePayment(psp, "manual")).toEqual({ kind: "authorized", gatewayRef: psp.ref });

    const cap = await gw.send(capture(psp.ref, "cmd_cap", 1500), "ex_cap");
    expect(cap).toMatchObject({ payments: [], refunds: [], replayed: false, response: { status: 201 } });
    expect(cap.error).toBeUndefined();
    expect(ofPaymentCommand(cap)).toMatchObject({ kind: "pending", gatewayRefundId: null });
    expect(cap.received).toMatch(/^[A-Z0-9]{16}$/);
    expect(await ledger("pay_m")).toMatchObject({ captured: 1500, capturable: 0 });

    const refund = await gw.send(
      { op: "refund", idempotencyKey: "cmd_ref", ref: psp.ref, amount: 500, currency: "EUR", refundId: "ref_1", paymentId: "pay_m" },
      "ex_ref",
    );
    expect(refund.refunds).toEqual([{ ref: expect.stringMatching(/^[A-Z0-9]{16}$/), status: "pending", refundId: "ref_1" }]);
    expect(refund.refunds[0]!.ref).not.toBe(psp.ref);
    expect(ofRefund(refund)).toEqual({ kind: "pending", gatewayRefundId: refund.refunds[0]!.ref, reason: `refund ${refund.refunds[0]!.ref} is pending` });
    expect(await ledger("pay_m")).toMatchObject({ refunded: 500 });

    const other = await create(charge("pay_c", "pm_card_visa", { captureMethod: "manual" }));
    const cancel = await gw.send({ op: "cancel", idempotencyKey: "cmd_can", ref: other.payments[0]!.ref, paymentId: "pay_c" }, "ex_can");
    expect(cancel).toMatchObject({ payments: [], refunds: [], response: { status: 201 } });
    expect(ofPaymentCommand(cancel).kind).toBe("pending");
    expect(await ledger("pay_c")).toMatchObject({ captured: 0, capturable: 0 });

    const [view] = (await run.admin("GET", "/__admin/payments?payment_id=pay_m")).data;
    expect(view.modifications.map((m: any) => [m.kind, m.reference, m.pspReference])).toEqual([
      ["capture", "cmd_cap", cap.received],
      ["refund", "cmd_ref", refund.received],
    ]);
    expect(cancel.received).toMatch(/^[A-Z0-9]{16}$/);
  });

  test("a command replayed under its key moves nothing more", async () => {
    const psp = (await create(charge("pay_m2", "pm_card_visa", { captureMethod: "manual" }))).payments[0]!.ref;
    await faults({ next: [{ kind: "500", phase: "after" }] });
    expect((await gw.send(capture(psp, "cmd_c2"), "ex_1")).error).toMatchObject({ class: "ambiguous", code: "http_500" });
    expect((await gw.send(capture(psp, "cmd_c2"), "ex_2")).error).toBeUndefined();
    expect(await ledger("pay_m2")).toMatchObject({ charges: 1, captured: 2000 });
  });

  test("a modification of an unknown pspReference is 422 167: not found", async () => {
    const a = await gw.send(capture("ABCDEFGHIJKLMNOP", "cmd_u"), "ex_u");
    expect(a.error).toMatchObject({ class: "not_found", code: "unknown_psp_reference" });
  });
});

describe("the replay look-up", () => {
  test("a search sends the create again under its key: the same pspReference, nothing charged again", async () => {
    const c = charge("pay_r");
    const first = await create(c);
    const again = await gw.send({ op: "search", paymentId: c.paymentId, charge: c, idempotencyKey: c.paymentId }, "ex_r2");
    expect(again.payments.map((p) => [p.ref, p.status])).toEqual([[first.payments[0]!.ref, "succeeded"]]);
    const byRef = await gw.send({ op: "retrieve", ref: first.payments[0]!.ref, charge: c, idempotencyKey: c.paymentId }, "ex_r3");
    expect(byRef).toMatchObject({ payments: [{ ref: first.payments[0]!.ref }], replayed: true });
    expect(await ledger("pay_r")).toMatchObject({ charges: 1, attempts: 3, paymentIntents: [first.payments[0]!.ref] });
    expect((await requests("pay_r")).map((r: any) => r.replayed)).toEqual([false, true, true]);
    expect(gw.describe({ op: "search", paymentId: c.paymentId, charge: c, idempotencyKey: c.paymentId })).toEqual(
      gw.describe({ op: "create", idempotencyKey: c.paymentId, charge: c }),
    );
  });

  test("an after-phase 500 is ambiguous; the replay then tells what happened, and nothing is charged twice", async () => {
    const c = charge("pay_a");
    await faults({ next: [{ kind: "500", phase: "after" }] });
    const lost = await create(c);
    expect(lost.error).toMatchObject({ class: "ambiguous", code: "http_500" });
    expect(lost.response.status).toBe(500);
    expect(decideError(lost.error!).kind).toBe("retry");
    const replay = await gw.send({ op: "search", paymentId: c.paymentId, charge: c, idempotencyKey: c.paymentId }, "ex_a2");
    expect(replay.payments[0]).toMatchObject({ status: "succeeded" });
    expect(await ledger("pay_a")).toMatchObject({ charges: 1, attempts: 2, paymentIntents: [replay.payments[0]!.ref] });
  });

  test("a retrieve whose replay names another payment (a forgotten key) is fatal, not an approval", async () => {
    const c = charge("pay_mm");
    await create(c);
    const a = await gw.send({ op: "retrieve", ref: "AAAAAAAAAAAAAAAA", charge: c, idempotencyKey: c.paymentId }, "ex_mm");
    expect(a.payments).toEqual([]);
    expect(a.error).toMatchObject({ class: "fatal", code: "replay_mismatch" });
  });

  test("a refund look-up sends nothing and says retry: the webhook settles the refund", async () => {
    for (const call of [
      { op: "retrieve_refund", gatewayRefundId: "X" },
      { op: "list_refunds", ref: "Y" },
    ] as const) {
      const a = await gw.send(call, "ex_l");
      expect(a.error).toMatchObject({ class: "retry", code: "unsupported_lookup" });
      expect(ofRefund(a).kind).toBe("retry");
      expect(gw.describe(call).path).toBe(`(not sent: ${call.op})`);
    }
    expect(await requests()).toEqual([]);
  });
});

describe("errors classified", () => {
  test("a refused connection (a closed port) was not processed", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const port = closed.port;
    await closed.stop(true);
    const a = await create(charge("pay_closed"), "pay_closed", gateway({ apiBase: `http://127.0.0.1:${port}` }));
    expect(a.error).toMatchObject({ class: "not_processed", code: "connection_refused" });
    expect(a.response.status).toBeNull();
    expect(decideError(a.error!)).toMatchObject({ kind: "retry", failover: true });
  });

  test("a reset and a timeout are ambiguous", async () => {
    await faults({ next: [{ kind: "reset", phase: "before" }] });
    expect((await create(charge("pay_reset"))).error).toMatchObject({ class: "ambiguous", code: "connection_reset" });
    await faults({ next: [{ kind: "hang", phase: "after" }], hangMs: 1_000 });
    const hung = await create(charge("pay_hang"), "pay_hang", gateway({ timeoutMs: 200 }));
    expect(hung.error).toMatchObject({ class: "ambiguous", code: "timeout" });
    expect((await ledger("pay_hang")).charges).toBe(1);
  });

  test.each([
    ["503", "before", { class: "ambiguous", code: "http_503" }, 503],
    ["429", "before", { class: "not_processed", code: "rate_limit" }, 429],
    ["401", "before", { class: "fatal", code: "http_401" }, 401],
  ] as const)("fault %s (%s) → %o", async (kind, phase, error, status) => {
    await faults({ next: [{ kind, phase }] });
    const a = await create(charge(`pay_f${kind}`));
    expect(a.error).toMatchObject(error);
    expect(a.response.status).toBe(status);
  });

  test("a merchant account the key may not use is 403: fatal", async () => {
    const a = await create(charge("pay_403"), "pay_403", gateway({ merchantAccount: "SomebodyElseECOM" }));
    expect(a.error).toMatchObject({ class: "fatal", code: "http_403" });
  });

  test("the same key while the first request still runs: retry; the key reused for another request: fatal", async () => {
    await faults({ latency: { meanMs: 300 } });
    const [first, second] = await Promise.all([create(charge("pay_race")), Bun.sleep(50).then(() => create(charge("pay_race")))]);
    expect(first.error).toBeUndefined();
    expect(second.error).toMatchObject({ class: "retry", code: "idempotency_in_progress" });
    await faults({ latency: { meanMs: 0 } });
    const reused = await create(charge("pay_race", "pm_card_visa", { amount: 1 }));
    expect(reused.error).toMatchObject({ class: "fatal", code: "idempotency_key_reused" });
    expect((await ledger("pay_race")).charges).toBe(1);
  });
});

describe("the exchange id", () => {
  test("every request carries Payorch-Exchange-Id to the gateway's request log", async () => {
    const held = await create(charge("pay_x", "pm_card_visa", { captureMethod: "manual" }));
    await gw.send(capture(held.payments[0]!.ref, "cmd_xc"), "ex_capture_1");
    const log = (await requests()).map((r: any) => [r.method, r.path, r.exchangeId, r.idempotencyKey]);
    expect(log).toEqual([
      ["POST", "/v72/payments", "ex_pay_x", "pay_x"],
      ["POST", `/v72/payments/${held.payments[0]!.ref}/captures`, "ex_capture_1", "cmd_xc"],
    ]);
  });

  test("the API key appears in no answer or audit description, whatever the outcome", async () => {
    await faults({ next: [{ kind: "401", phase: "before" }] });
    const c = charge("pay_k");
    const answers = [await create(c), await create(c), await create(charge("pay_k2", "pm_nope"))];
    for (const a of answers) expect(JSON.stringify(a)).not.toContain("AQE_test_simulator_key");
    expect(JSON.stringify(gw.describe({ op: "create", idempotencyKey: "k", charge: c }))).not.toContain("AQE_test_simulator_key");
  });

  test("the connector's own shape", () => {
    expect([gw.name, gw.lookup, gw.keyWindowMs, gw.asyncCommands]).toEqual(["adyen", "replay", 31 * 24 * 3_600_000, true]);
  });
});
