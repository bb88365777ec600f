/**
 * Test helpers for the Adyen mode: a simulator on a random loopback port, the real
 * `@adyen/api-library` pointed at it the way a connector would be (Client + LoopbackHttpClient),
 * the platform's payment call, and a webhook receiver that answers `[accepted]`.
 */
import { CheckoutAPI, Client, EnvironmentEnum, type Types } from "@adyen/api-library";
import type { FaultConfig } from "../faults.ts";
import { LoopbackHttpClient } from "./loopback-client.ts";
import { createAdyenSimulator, type AdyenSimulator, type AdyenSimulatorOptions } from "./server.ts";

export const MERCHANT = "PayorchTestECOM";
export const HMAC_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";

export type RunningAdyen = {
  sim: AdyenSimulator;
  port: number;
  baseUrl: string;
  checkout: (opts?: { timeoutMs?: number; apiKey?: string }) => CheckoutAPI;
  admin: (method: string, path: string, body?: unknown) => Promise<any>;
  stop: () => Promise<void>;
};

export function startAdyenSimulator(opts: { seed?: number; faults?: FaultConfig } & Omit<AdyenSimulatorOptions, "seed" | "faults"> = {}): RunningAdyen {
  const sim = createAdyenSimulator({ ...opts, seed: opts.seed ?? 42 });
  const server = sim.listen();
  const port = server.port as number;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    sim,
    port,
    baseUrl,
    checkout: ({ timeoutMs = 5_000, apiKey = "AQE_test_simulator_key" } = {}) =>
      new CheckoutAPI(new Client({ apiKey, environment: EnvironmentEnum.TEST, connectionTimeoutMillis: timeoutMs }, new LoopbackHttpClient(baseUrl))),
    admin: async (method, path, body) => {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
      });
      return res.json();
    },
    stop: () => server.stop(true),
  };
}

/** The platform's call: our token as a stored card, our payment id as reference, metadata and key. */
export function paymentRequest(paymentId: string, token = "pm_card_visa", extra: Partial<Types.checkout.PaymentRequest> = {}): Types.checkout.PaymentRequest {
  return {
    amount: { value: 2000, currency: "EUR" },
    merchantAccount: MERCHANT,
    reference: paymentId,
    paymentMethod: { type: "scheme", storedPaymentMethodId: token } as Types.checkout.PaymentRequest["paymentMethod"],
    shopperReference: "shopper_1",
    shopperInteraction: "ContAuth" as Types.checkout.PaymentRequest.ShopperInteractionEnum,
    recurringProcessingModel: "UnscheduledCardOnFile" as Types.checkout.PaymentRequest.RecurringProcessingModelEnum,
    returnUrl: "https://payorch.invalid/return",
    metadata: { payment_id: paymentId },
    ...extra,
  };
}

export function pay(checkout: CheckoutAPI, paymentId: string, token = "pm_card_visa", extra: Partial<Types.checkout.PaymentRequest> = {}, key = paymentId) {
  return checkout.PaymentsApi.payments(paymentRequest(paymentId, token, extra), { idempotencyKey: key });
}

/** Manual capture, requested the way Adyen documents it for one transaction. */
export function authorise(checkout: CheckoutAPI, paymentId: string, token = "pm_card_visa", amount = 2000) {
  return pay(checkout, paymentId, token, { amount: { value: amount, currency: "EUR" }, additionalData: { manualCapture: "true" } });
}

export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export type Received = { body: any; raw: string; headers: Headers; at: number };

/** A webhook endpoint on loopback that records every POST and answers `[accepted]` (or `status`). */
export function startReceiver(opts: { status?: () => number } = {}) {
  const received: Received[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const raw = await req.text();
      received.push({ body: JSON.parse(raw), raw, headers: req.headers, at: Date.now() });
      const status = opts.status?.() ?? 200;
      return new Response(status === 200 ? "[accepted]" : "no", { status });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/webhooks/adyen`, received, stop: () => server.stop(true) };
}

/** Waits for a condition with a deadline, never for a fixed time. */
export async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** The NotificationRequestItems in the order they arrived. */
export const itemsOf = (received: Received[]) => received.map((r) => r.body.notificationItems[0].NotificationRequestItem);
