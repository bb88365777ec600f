/**
 * Test helpers: a simulator on a random loopback port and the real `stripe` SDK pointed at
 * it the way the payment worker will be (`host`, `port`, `protocol: "http"`).
 */
import Stripe from "stripe";
import type { FaultConfig } from "./faults.ts";
import { createSimulator, type Simulator } from "./server.ts";

export type Running = {
  sim: Simulator;
  port: number;
  stripe: (opts?: { maxNetworkRetries?: number; timeout?: number }) => Stripe;
  admin: (method: string, path: string, body?: unknown) => Promise<any>;
  stop: () => Promise<void>;
};

export function startSimulator(opts: { seed?: number; faults?: FaultConfig } = {}): Running {
  const sim = createSimulator({ seed: opts.seed ?? 42, faults: opts.faults });
  const server = sim.listen();
  const port = server.port as number;
  return {
    sim,
    port,
    stripe: ({ maxNetworkRetries = 0, timeout = 5_000 } = {}) =>
      new Stripe("sk_test_simulator", { host: "127.0.0.1", port, protocol: "http", maxNetworkRetries, timeout }),
    admin: async (method, path, body) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
      });
      return res.json();
    },
    stop: () => server.stop(true),
  };
}

/** The call the payment worker makes: create and confirm in one, keyed by the payment id. */
export function charge(stripe: Stripe, paymentId: string, paymentMethod = "pm_card_visa", amount = 2000) {
  return stripe.paymentIntents.create(
    {
      amount,
      currency: "usd",
      payment_method: paymentMethod,
      confirm: true,
      allowed_payment_method_types: ["card"],
      metadata: { payment_id: paymentId },
    },
    { idempotencyKey: paymentId },
  );
}

/** The manual-capture call: authorize now, capture (or cancel) later. */
export function authorize(stripe: Stripe, paymentId: string, paymentMethod = "pm_card_visa", amount = 2000) {
  return stripe.paymentIntents.create(
    {
      amount,
      currency: "usd",
      payment_method: paymentMethod,
      confirm: true,
      capture_method: "manual",
      allowed_payment_method_types: ["card"],
      metadata: { payment_id: paymentId },
    },
    { idempotencyKey: paymentId },
  );
}

/** The rejection of a promise, so a test can assert on the SDK's error object. */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** A response header from the SDK's lastResponse or error.headers (Headers under fetch, an object under node:http). */
export function headerOf(headers: unknown, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  return (headers as Record<string, string> | undefined)?.[name];
}
