/**
 * Adyen standard webhooks from the simulator: one per authorisation and modification, signed
 * with Adyen's HMAC (checked here by an independent implementation, by the library's own
 * hmacValidator, and against a published test vector), and delivered late, twice, out of
 * order, held, or retried.
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { hmacValidator } from "@adyen/api-library";
import { hmacSignature, signedPayload } from "./notifications.ts";
import { authorise, HMAC_KEY, itemsOf, MERCHANT, pay, startAdyenSimulator, startReceiver, until, type Received } from "./testing.ts";

const run = startAdyenSimulator();
const checkout = run.checkout();
const mods = checkout.ModificationsApi;
let receiver = startReceiver();
afterAll(() => run.stop());
beforeEach(async () => {
  await run.admin("POST", "/__admin/reset");
  receiver = startReceiver();
});
afterEach(() => receiver.stop());

const hook = (extra: Record<string, unknown> = {}) => run.admin("POST", "/__admin/webhooks", { url: receiver.url, hmacKeyHex: HMAC_KEY, ...extra });
const codes = (r: Received[]) => itemsOf(r).map((i: any) => `${i.eventCode}:${i.success}`);
const EUR = (value: number) => ({ value, currency: "EUR" });

/** Adyen's documented algorithm, written here from the docs and not shared with the simulator's code. */
function independentSignature(item: any, keyHex: string): string {
  const fields = [
    item.pspReference,
    item.originalReference ?? "",
    item.merchantAccountCode,
    item.merchantReference,
    String(item.amount.value),
    item.amount.currency,
    item.eventCode,
    item.success,
  ];
  return createHmac("sha256", Buffer.from(keyHex, "hex")).update(fields.join(":")).digest("base64");
}

describe("signatures", () => {
  test("Adyen's published test vector (adyen-node-api-library's HMAC test) gives the published signature", () => {
    const key = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";
    const item = {
      pspReference: "pspReference",
      originalReference: "originalReference",
      merchantAccountCode: "merchantAccount",
      merchantReference: "reference",
      amount: EUR(1000),
      eventCode: "CAPTURE",
      success: "true",
    };
    expect(signedPayload(item as never)).toBe("pspReference:originalReference:merchantAccount:reference:1000:EUR:CAPTURE:true");
    expect(hmacSignature(signedPayload(item as never), key)).toBe("xhpHvYq2u2Np0rstbZ6QjLGu7JWhvf7Iwaa6EviJSX0=");
    expect(independentSignature(item, key)).toBe("xhpHvYq2u2Np0rstbZ6QjLGu7JWhvf7Iwaa6EviJSX0=");
  });

  test("an authorisation's notification is Adyen's shape and its HMAC verifies three ways", async () => {
    await hook();
    const res = await pay(checkout, "pay_w");
    const [got] = await until("one notification", () => receiver.received.length >= 1 && receiver.received);
    expect(got!.body.live).toBe("false");
    const item = itemsOf(receiver.received)[0];
    expect(item).toMatchObject({
      eventCode: "AUTHORISATION",
      success: "true",
      pspReference: res.pspReference,
      merchantReference: "pay_w",
      merchantAccountCode: MERCHANT,
      amount: EUR(2000),
      paymentMethod: "visa",
      reason: "",
    });
    expect(item.eventDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(item.additionalData.hmacSignature).toBe(independentSignature(item, HMAC_KEY));
    expect(new hmacValidator().validateHMAC(item, HMAC_KEY)).toBe(true);
    expect(new hmacValidator().validateHMAC({ ...item, amount: EUR(2001) }, HMAC_KEY)).toBe(false);
  });
});

describe("one notification per authorisation and modification", () => {
  test("refused: AUTHORISATION success false with the refusal reason", async () => {
    await hook();
    await pay(checkout, "pay_no", "pm_card_visa_chargeDeclinedInsufficientFunds");
    await until("the refusal", () => receiver.received.length === 1);
    expect(itemsOf(receiver.received)[0]).toMatchObject({ eventCode: "AUTHORISATION", success: "false", reason: "Not enough balance" });
  });

  test("capture, refund and a failed cancel: each with the payment as originalReference", async () => {
    await hook();
    const psp = (await authorise(checkout, "pay_flow")).pspReference!;
    const cap = await mods.captureAuthorisedPayment(psp, { amount: EUR(2000), merchantAccount: MERCHANT });
    const ref = await mods.refundCapturedPayment(psp, { amount: EUR(500), merchantAccount: MERCHANT });
    await mods.cancelAuthorisedPaymentByPspReference(psp, { merchantAccount: MERCHANT });
    await until("four notifications", () => receiver.received.length === 4);
    expect(codes(receiver.received)).toEqual(["AUTHORISATION:true", "CAPTURE:true", "REFUND:true", "CANCELLATION:false"]);
    const [, capture, refund, cancel] = itemsOf(receiver.received);
    expect(capture).toMatchObject({ pspReference: cap.pspReference, originalReference: psp, amount: EUR(2000) });
    expect(refund).toMatchObject({ pspReference: ref.pspReference, originalReference: psp, amount: EUR(500) });
    expect(cancel.reason).toBe("Payment was already captured, it cannot be cancelled");
    for (const item of itemsOf(receiver.received)) expect(new hmacValidator().validateHMAC(item, HMAC_KEY)).toBe(true);
  });

  test("what simulated time does is notified when it happens: a Received payment's AUTHORISATION, a REFUND_FAILED", async () => {
    await hook();
    await pay(checkout, "pay_slow", "pm_card_processing");
    const failing = (await pay(checkout, "pay_rf", "pm_card_refundFail")).pspReference!;
    await mods.refundCapturedPayment(failing, { amount: EUR(2000), merchantAccount: MERCHANT });
    await until("the refund", () => receiver.received.length === 2);
    await run.admin("POST", "/__admin/clock", { advanceMs: 2 * 3_600_000 });
    await until("the settled events", () => receiver.received.length === 4);
    expect(codes(receiver.received).sort()).toEqual(["AUTHORISATION:true", "AUTHORISATION:true", "REFUND:true", "REFUND_FAILED:true"]);
  });
});

describe("delivery", () => {
  test("late: delayMs after the event", async () => {
    await hook({ delayMs: 300 });
    const sent = Date.now();
    await pay(checkout, "pay_late");
    const [got] = await until("the late notification", () => receiver.received.length === 1 && receiver.received);
    expect(got!.at - sent).toBeGreaterThanOrEqual(280);
  });

  test("twice: the same signed notification arrives two times", async () => {
    await hook({ duplicate: true });
    await pay(checkout, "pay_dup");
    await until("both copies", () => receiver.received.length === 2);
    expect(receiver.received[0]!.raw).toBe(receiver.received[1]!.raw);
  });

  test("out of order: the events of a window arrive newest first", async () => {
    await hook({ reorder: true, delayMs: 500 });
    const psp = (await authorise(checkout, "pay_ooo")).pspReference!;
    await mods.captureAuthorisedPayment(psp, { amount: EUR(2000), merchantAccount: MERCHANT });
    await until("the window", () => receiver.received.length === 2);
    expect(codes(receiver.received)).toEqual(["CAPTURE:true", "AUTHORISATION:true"]);
  });

  test("held until a flush; the admin log lists events and deliveries by payment", async () => {
    await hook({ hold: true });
    await pay(checkout, "pay_hold");
    const held = await run.admin("GET", "/__admin/webhooks?payment_id=pay_hold");
    expect([held.held, held.events.length, receiver.received.length, held.settings.hasSecret, held.settings.secret]).toEqual([1, 1, 0, true, undefined]);
    const after = await run.admin("POST", "/__admin/webhooks/flush");
    expect(receiver.received.length).toBe(1);
    expect(after.deliveries).toEqual([expect.objectContaining({ type: "AUTHORISATION", paymentId: "pay_hold", attempt: 1, copy: 1, status: 200 })]);
  });

  test("a receiver that does not accept gets the notification again", async () => {
    receiver.stop();
    let calls = 0;
    receiver = startReceiver({ status: () => (++calls === 1 ? 500 : 200) });
    await hook({ retryDelayMs: 50 });
    await pay(checkout, "pay_retry");
    await until("the retry", () => receiver.received.length === 2);
    // The delivery log records an attempt once its answer is read, a moment after the receiver saw it.
    let log: any;
    for (const deadline = Date.now() + 5_000; (log = await run.admin("GET", "/__admin/webhooks")).deliveries.length < 2 && Date.now() < deadline; )
      await Bun.sleep(5);
    expect(log.deliveries.map((d: any) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
  });

  test("only loopback URLs and a hex key are accepted", async () => {
    expect((await run.admin("POST", "/__admin/webhooks", { url: "http://example.com/hook", hmacKeyHex: HMAC_KEY })).error.message).toContain("loopback");
    expect((await run.admin("POST", "/__admin/webhooks", { url: receiver.url, hmacKeyHex: "not-hex" })).error.message).toContain("hmacKeyHex");
  });
});
