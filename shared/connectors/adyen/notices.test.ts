import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { HMAC_KEY, MERCHANT, startAdyenSimulator, startReceiver, until } from "../../../simulator/adyen/testing.ts";
import type { Charge } from "../types.ts";
import { createAdyenGateway } from "./gateway.ts";
import { adyenWebhooks, noticeOf } from "./notices.ts";
import { adyenSignature, parseAdyenNotification, WebhookRejected, type NotificationItem } from "./webhook.ts";

const signed = (item: NotificationItem, key = HMAC_KEY): NotificationItem => ({ ...item, additionalData: { hmacSignature: adyenSignature(item, key) } });
const raw = (items: NotificationItem[], live = "false") =>
  JSON.stringify({ live, notificationItems: items.map((NotificationRequestItem) => ({ NotificationRequestItem })) });
const item = (over: Partial<NotificationItem>): NotificationItem => ({
  pspReference: "PSPMOD0000000001",
  merchantAccountCode: MERCHANT,
  merchantReference: "pay_1",
  amount: { value: 2000, currency: "EUR" },
  eventCode: "AUTHORISATION",
  success: "true",
  reason: "",
  eventDate: "2026-01-02T10:11:12+00:00",
  ...over,
});
const one = (i: NotificationItem) => noticeOf(parseAdyenNotification(JSON.parse(raw([i])))[0]!);

describe("noticeOf", () => {
  test("AUTHORISATION: the payment, held (the receiver applies the capture method), or declined with its reason's code", () => {
    expect(one(item({}))).toEqual({
      connector: "adyen",
      eventId: "PSPMOD0000000001:AUTHORISATION:true",
      type: "AUTHORISATION",
      paymentId: "pay_1",
      about: {
        kind: "payment",
        payment: { ref: "PSPMOD0000000001", status: "authorized", amountCaptured: 0, detail: "AUTHORISATION" },
        amount: 2000,
        currency: "EUR",
        capturedIfAutomatic: true,
      },
    });
    expect(one(item({ success: "false", reason: "Not enough balance" })).about).toMatchObject({
      kind: "payment",
      payment: { status: "declined", declineCode: "insufficient_funds" },
    });
    expect(one(item({ success: "false", reason: "Acquirer Error" })).about).toMatchObject({ payment: { declineCode: "processing_error", soft: true } });
    expect(one(item({ amount: { value: 500_000, currency: "CLP" } })).about).toMatchObject({ amount: 5000, currency: "CLP" });
  });

  test("CAPTURE and CANCELLATION: the command's outcome on the payment named by originalReference", () => {
    expect(one(item({ eventCode: "CAPTURE", originalReference: "PSPPAY0000000001", amount: { value: 1500, currency: "EUR" } })).about).toEqual({
      kind: "capture",
      success: true,
      ref: "PSPPAY0000000001",
      modificationRef: "PSPMOD0000000001",
      commandId: null,
      amount: 1500,
      reason: null,
    });
    expect(
      one(
        item({
          eventCode: "CANCELLATION",
          success: "false",
          originalReference: "PSPPAY0000000001",
          reason: "Payment was already captured, it cannot be cancelled",
        }),
      ).about,
    ).toEqual({
      kind: "cancel",
      success: false,
      ref: "PSPPAY0000000001",
      modificationRef: "PSPMOD0000000001",
      commandId: null,
      amount: null,
      reason: "Payment was already captured, it cannot be cancelled",
    });
    expect(one(item({ eventCode: "CAPTURE_FAILED", originalReference: "PSPPAY0000000001" })).about).toMatchObject({ kind: "capture", success: false });
  });

  test("REFUND, REFUND_FAILED: the refund named by its own pspReference", () => {
    const base = { originalReference: "PSPPAY0000000001", amount: { value: 500, currency: "EUR" } };
    expect(one(item({ eventCode: "REFUND", ...base })).about).toEqual({
      kind: "refund",
      refund: { ref: "PSPMOD0000000001", status: "succeeded" },
      ref: "PSPPAY0000000001",
      commandId: null,
      amount: 500,
    });
    expect(one(item({ eventCode: "REFUND", success: "false", reason: "Insufficient balance on payment", ...base })).about).toMatchObject({
      refund: { status: "failed", failureReason: "Insufficient balance on payment" },
    });
    expect(one(item({ eventCode: "REFUND_FAILED", reason: "Refund failed by the card scheme (test card)", ...base })).about).toMatchObject({
      refund: { status: "failed" },
    });
  });

  test("what the platform never asks for is ignored; a modification without its payment is refused", () => {
    for (const eventCode of ["CANCEL_OR_REFUND", "TECHNICAL_CANCEL", "CHARGEBACK", "REPORT_AVAILABLE"])
      expect(one(item({ eventCode, originalReference: "P" })).about).toEqual({ kind: "ignored" });
    expect(() => one(item({ eventCode: "CAPTURE" }))).toThrow(WebhookRejected);
  });
});

describe("adyenWebhooks(key).verify", () => {
  const hooks = adyenWebhooks(HMAC_KEY);

  test("a signed body gives its notices; tampering, another key, a live event or no JSON is rejected", () => {
    const good = signed(item({}));
    expect(hooks.verify(raw([good]))).toHaveLength(1);
    expect(() => hooks.verify(raw([{ ...good, amount: { value: 1, currency: "EUR" } }]))).toThrow(WebhookRejected);
    expect(() => hooks.verify(raw([signed(item({}), "00".repeat(32))]))).toThrow(WebhookRejected);
    expect(() => hooks.verify(raw([good], "true"))).toThrow(/live/);
    expect(() => hooks.verify("[accepted]")).toThrow(WebhookRejected);
  });

  test("a key that is not hex stops the receiver at start, not at the first webhook", () => {
    expect(() => adyenWebhooks("whsec_not_adyen")).toThrow(/HMAC key must be hex/);
  });
});

describe("the simulator's webhooks for the connector's calls, as notices", () => {
  const run = startAdyenSimulator();
  const gw = createAdyenGateway({ apiKey: "AQE_test_simulator_key", apiBase: run.baseUrl, merchantAccount: MERCHANT, timeoutMs: 2_000 });
  const hooks = adyenWebhooks(HMAC_KEY);
  let receiver = startReceiver();
  afterAll(() => run.stop());
  beforeEach(async () => {
    await run.admin("POST", "/__admin/reset");
    receiver = startReceiver();
    await run.admin("POST", "/__admin/webhooks", { url: receiver.url, hmacKeyHex: HMAC_KEY });
  });
  afterEach(() => receiver.stop());
  const notices = () => receiver.received.flatMap((r) => hooks.verify(r.raw));
  const charge = (paymentId: string, paymentMethod = "pm_card_visa", captureMethod: Charge["captureMethod"] = "manual"): Charge => ({
    paymentId,
    merchantId: "mer_1",
    amount: 2000,
    currency: "EUR",
    paymentMethod,
    captureMethod,
  });

  test("a capture's notice names the payment the connector was told; a refund's the ref the connector returned", async () => {
    const psp = (await gw.send({ op: "create", idempotencyKey: "pay_n", charge: charge("pay_n") }, "ex_1")).payments[0]!.ref;
    const cap = await gw.send({ op: "capture", idempotencyKey: "cmd_c", ref: psp, amount: 2000, currency: "EUR", paymentId: "pay_n" }, "ex_2");
    const refund = await gw.send(
      { op: "refund", idempotencyKey: "cmd_r", ref: psp, amount: 700, currency: "EUR", refundId: "ref_n", paymentId: "pay_n" },
      "ex_3",
    );
    await until("three notifications", () => receiver.received.length === 3);
    const [auth, captured, refunded] = notices();
    expect(auth).toMatchObject({ paymentId: "pay_n", about: { kind: "payment", payment: { ref: psp, status: "authorized" }, amount: 2000 } });
    expect(captured).toMatchObject({
      paymentId: "pay_n",
      eventId: `${cap.received}:CAPTURE:true`,
      about: { kind: "capture", success: true, ref: psp, amount: 2000 },
    });
    expect(refunded).toMatchObject({
      paymentId: "pay_n",
      about: { kind: "refund", refund: { ref: refund.refunds[0]!.ref, status: "succeeded" }, ref: psp, amount: 700 },
    });
    expect(refund.received).toBe(refund.refunds[0]!.ref);
  });

  test("a Received payment (the replay would say Received forever) is decided by its AUTHORISATION, an hour later", async () => {
    const first = await gw.send({ op: "create", idempotencyKey: "pay_slow", charge: charge("pay_slow", "pm_card_processing", "automatic") }, "ex_s");
    expect(first.payments[0]!.status).toBe("processing");
    await run.admin("POST", "/__admin/clock", { advanceMs: 2 * 3_600_000 });
    await until("the authorisation", () => receiver.received.length === 1);
    expect(notices()[0]).toMatchObject({ paymentId: "pay_slow", about: { kind: "payment", payment: { ref: first.payments[0]!.ref, status: "authorized" } } });
  });
});
