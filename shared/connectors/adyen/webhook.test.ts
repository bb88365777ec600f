/**
 * The webhook side's pure parts: Adyen's HMAC against the published vector and the library's
 * own validator, the body read into neutral events, and the events the simulator sends for
 * the connector's own calls (each verified, named as the connector named the refund).
 */
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { hmacValidator } from "@adyen/api-library";
import { HMAC_KEY, MERCHANT, startAdyenSimulator, startReceiver, until } from "../../../simulator/adyen/testing.ts";
import type { Call, Charge } from "../types.ts";
import { createAdyenGateway } from "./gateway.ts";
import { WebhookRejected, failedModificationClass, parseAdyenNotification, signedPayload, verifyAdyenNotification, type NotificationItem } from "./webhook.ts";

/** adyen-node-api-library's HMAC test vector. */
const VECTOR_KEY = "DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00";
const VECTOR: NotificationItem = {
  pspReference: "pspReference",
  originalReference: "originalReference",
  merchantAccountCode: "merchantAccount",
  merchantReference: "reference",
  amount: { value: 1000, currency: "EUR" },
  eventCode: "CAPTURE",
  success: "true",
  additionalData: { hmacSignature: "xhpHvYq2u2Np0rstbZ6QjLGu7JWhvf7Iwaa6EviJSX0=" },
};

describe("verifyAdyenNotification", () => {
  test("the published vector verifies", () => {
    expect(signedPayload(VECTOR)).toBe("pspReference:originalReference:merchantAccount:reference:1000:EUR:CAPTURE:true");
    expect(verifyAdyenNotification(VECTOR, VECTOR_KEY)).toBe(true);
    expect(verifyAdyenNotification(VECTOR, VECTOR_KEY.toLowerCase())).toBe(true);
  });

  test("any change to a signed field, another key, or no signature fails", () => {
    expect(verifyAdyenNotification({ ...VECTOR, amount: { value: 1001, currency: "EUR" } }, VECTOR_KEY)).toBe(false);
    expect(verifyAdyenNotification({ ...VECTOR, success: "false" }, VECTOR_KEY)).toBe(false);
    expect(verifyAdyenNotification({ ...VECTOR, originalReference: undefined }, VECTOR_KEY)).toBe(false);
    expect(verifyAdyenNotification(VECTOR, HMAC_KEY)).toBe(false);
    expect(verifyAdyenNotification({ ...VECTOR, additionalData: {} }, VECTOR_KEY)).toBe(false);
    expect(verifyAdyenNotification({ ...VECTOR, additionalData: { hmacSignature: "short" } }, VECTOR_KEY)).toBe(false);
  });

  test("agrees with the library's hmacValidator, an absent originalReference included", () => {
    const item = { ...VECTOR, originalReference: undefined, merchantReference: "pay_1", eventCode: "AUTHORISATION" };
    const signed = { ...item, additionalData: { hmacSignature: new hmacValidator().calculateHmac(item as never, HMAC_KEY) } };
    expect(verifyAdyenNotification(signed, HMAC_KEY)).toBe(true);
  });

  test("a key that is not hex is a configuration error, not a failed check", () => {
    expect(() => verifyAdyenNotification(VECTOR, "not-hex")).toThrow(/HMAC key must be hex/);
  });
});

describe("parseAdyenNotification", () => {
  const body = (item: Record<string, unknown>, live = "false") => ({ live, notificationItems: [{ NotificationRequestItem: item }] });

  test("an item as a neutral event; amounts in our minor units", () => {
    const [n] = parseAdyenNotification(body({ ...VECTOR, amount: { value: 500_000, currency: "CLP" }, reason: "", eventDate: "2026-01-02T10:11:12+00:00" }));
    expect(n).toEqual({
      eventId: "pspReference:CAPTURE:true",
      eventCode: "CAPTURE",
      success: true,
      pspReference: "pspReference",
      originalReference: "originalReference",
      merchantReference: "reference",
      merchantAccount: "merchantAccount",
      amount: { value: 5000, currency: "CLP" },
      reason: null,
      eventDate: "2026-01-02T10:11:12+00:00",
      live: false,
      item: expect.objectContaining({ pspReference: "pspReference" }),
    });
  });

  test("malformed bodies are refused with a reason", () => {
    for (const bad of [
      null,
      {},
      { notificationItems: [] },
      { notificationItems: [{}] },
      body({ ...VECTOR, success: "yes" }),
      body({ ...VECTOR, pspReference: 7 }),
      body({ ...VECTOR, amount: { value: "1", currency: "EUR" } }),
      body({ ...VECTOR, eventCode: undefined }),
    ]) {
      expect(() => parseAdyenNotification(bad)).toThrow(WebhookRejected);
    }
  });

  test("failed modifications in the connector interface's classes", () => {
    expect(failedModificationClass({ eventCode: "REFUND", success: false, reason: "Insufficient balance on payment" })).toBe("refused");
    expect(failedModificationClass({ eventCode: "CAPTURE", success: false, reason: "Payment was already captured, it cannot be captured" })).toBe(
      "unexpected_state",
    );
    expect(failedModificationClass({ eventCode: "REFUND_FAILED", success: true, reason: "x" })).toBe("refused");
    expect(failedModificationClass({ eventCode: "CAPTURE", success: true, reason: null })).toBeUndefined();
    expect(failedModificationClass({ eventCode: "AUTHORISATION", success: false, reason: "Refused" })).toBeUndefined();
  });
});

describe("the simulator's webhooks for the connector's own calls", () => {
  const run = startAdyenSimulator();
  const gw = createAdyenGateway({ apiKey: "AQE_test_simulator_key", apiBase: run.baseUrl, merchantAccount: MERCHANT, timeoutMs: 2_000 });
  let receiver = startReceiver();
  afterAll(() => run.stop());
  beforeEach(async () => {
    await run.admin("POST", "/__admin/reset");
    receiver = startReceiver();
  });
  afterEach(() => receiver.stop());

  const charge = (paymentId: string): Charge => ({
    paymentId,
    merchantId: "mer_1",
    amount: 2000,
    currency: "EUR",
    paymentMethod: "pm_card_visa",
    captureMethod: "manual",
  });
  const events = () => receiver.received.flatMap((r) => parseAdyenNotification(r.body));

  test("authorisation, capture, refund, a refund above what is left and a second capture: verified, named, classified", async () => {
    await run.admin("POST", "/__admin/webhooks", { url: receiver.url, hmacKeyHex: HMAC_KEY });
    const psp = (await gw.send({ op: "create", idempotencyKey: "pay_w", charge: charge("pay_w") }, "ex_1")).payments[0]!.ref;
    const capture = (key: string): Call => ({ op: "capture", idempotencyKey: key, ref: psp, amount: 2000, paymentId: "pay_w", currency: "EUR" }) as Call;
    await gw.send(capture("cmd_cap"), "ex_2");
    const refund = await gw.send(
      { op: "refund", idempotencyKey: "cmd_ref", ref: psp, amount: 1500, currency: "EUR", refundId: "ref_1", paymentId: "pay_w" },
      "ex_3",
    );
    const over = await gw.send(
      { op: "refund", idempotencyKey: "cmd_ref2", ref: psp, amount: 1000, currency: "EUR", refundId: "ref_2", paymentId: "pay_w" },
      "ex_4",
    );
    expect(over.error).toBeUndefined(); // Adyen only says "received"; the refusal comes by webhook
    await gw.send(capture("cmd_cap2"), "ex_5");
    await until("five notifications", () => receiver.received.length === 5);

    for (const r of receiver.received) for (const n of parseAdyenNotification(r.body)) expect(verifyAdyenNotification(n.item, HMAC_KEY)).toBe(true);
    const got = events();
    expect(got.map((n) => [n.eventCode, n.success, failedModificationClass(n) ?? null])).toEqual([
      ["AUTHORISATION", true, null],
      ["CAPTURE", true, null],
      ["REFUND", true, null],
      ["REFUND", false, "refused"],
      ["CAPTURE", false, "unexpected_state"],
    ]);
    expect(got[2]).toMatchObject({
      pspReference: refund.refunds[0]!.ref,
      originalReference: psp,
      merchantReference: "pay_w",
      amount: { value: 1500, currency: "EUR" },
    });
    expect(got[3]).toMatchObject({ pspReference: over.refunds[0]!.ref, reason: "Insufficient balance on payment" });
    expect(new Set(got.map((n) => n.eventId)).size).toBe(5);
  });

  test("a duplicate delivery has the same eventId", async () => {
    await run.admin("POST", "/__admin/webhooks", { url: receiver.url, hmacKeyHex: HMAC_KEY, duplicate: true });
    await gw.send({ op: "create", idempotencyKey: "pay_d", charge: charge("pay_d") }, "ex_d");
    await until("both copies", () => receiver.received.length === 2);
    const [a, b] = events();
    expect(a!.eventId).toBe(b!.eventId);
  });
});
