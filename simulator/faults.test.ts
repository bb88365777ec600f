import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { charge, headerOf, rejection, startSimulator } from "./testing.ts";

const run = startSimulator();
const stripe = run.stripe(); // maxNetworkRetries: 0, so every attempt is ours to count
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const faults = (body: unknown) => run.admin("POST", "/__admin/faults", body);
const forPayment = (id: string) => run.admin("GET", `/__admin/charges/${id}`);

describe("faults before processing: nothing charged, a retry charges once", () => {
  test.each([
    ["500", Stripe.errors.StripeAPIError, 500],
    ["503", Stripe.errors.StripeAPIError, 503],
    ["429", Stripe.errors.StripeRateLimitError, 429],
    ["lock_timeout", Stripe.errors.StripeRateLimitError, 429],
  ] as const)("%s", async (kind, errorClass, status) => {
    await faults({ next: [{ kind, phase: "before" }] });
    const err = await rejection(charge(stripe, "pay_b"));
    expect(err).toBeInstanceOf(errorClass);
    expect(err.statusCode).toBe(status);
    expect((await forPayment("pay_b")).charges).toBe(0);
    const pi = await charge(stripe, "pay_b");
    expect(headerOf(pi.lastResponse.headers, "idempotent-replayed")).toBeUndefined();
    expect(await forPayment("pay_b")).toMatchObject({ charges: 1, attempts: 2 });
  });
});

describe("faults after processing: charged, the client cannot tell, the retry replays", () => {
  test.each(["500", "503"] as const)("%s after the charge, then a retry with the same key", async (kind) => {
    await faults({ next: [{ kind, phase: "after" }] });
    const err = await rejection(charge(stripe, "pay_a"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await forPayment("pay_a")).charges).toBe(1);
    const pi = await charge(stripe, "pay_a");
    expect(pi.status).toBe("succeeded");
    expect(headerOf(pi.lastResponse.headers, "idempotent-replayed")).toBe("true");
    expect(await forPayment("pay_a")).toMatchObject({ charges: 1, attempts: 2 });
  });

  test("the SDK's own retries turn an after-phase 503 into the replayed success", async () => {
    await faults({ next: [{ kind: "503", phase: "after" }] });
    const pi = await charge(run.stripe({ maxNetworkRetries: 2 }), "pay_sdk");
    expect(pi.status).toBe("succeeded");
    expect(await forPayment("pay_sdk")).toMatchObject({ charges: 1, attempts: 2 });
  });

  test("a connection reset surfaces as StripeConnectionError (after the SDK's one reset retry)", async () => {
    await faults({ rates: { reset: 1 }, phase: "after" });
    const err = await rejection(charge(stripe, "pay_r"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    // stripe-node retries a closed connection once even with maxNetworkRetries: 0.
    expect(await forPayment("pay_r")).toMatchObject({ charges: 1, attempts: 2 });
    await run.admin("DELETE", "/__admin/faults");
    expect((await charge(stripe, "pay_r")).status).toBe("succeeded");
    expect((await forPayment("pay_r")).charges).toBe(1);
  });

  test("a hang past the client timeout is a timeout, never a decline; the retry replays", async () => {
    await faults({ next: [{ kind: "hang", phase: "after" }], hangMs: 400 });
    const err = await rejection(charge(run.stripe({ timeout: 100 }), "pay_h"));
    expect(err).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(err.message).toContain("timeout");
    const pi = await charge(stripe, "pay_h");
    expect(pi.status).toBe("succeeded");
    expect(await forPayment("pay_h")).toMatchObject({ charges: 1, attempts: 2 });
  });

  test("a hang before processing charges only on the retry", async () => {
    await faults({ next: [{ kind: "hang", phase: "before" }], hangMs: 300 });
    await rejection(charge(run.stripe({ timeout: 100 }), "pay_hb"));
    expect((await forPayment("pay_hb")).charges).toBe(0);
    await charge(stripe, "pay_hb");
    expect((await forPayment("pay_hb")).charges).toBe(1);
  });
});

describe("outages, reset and reproducibility", () => {
  test("during an outage every call is a 503; afterwards calls succeed", async () => {
    const view = await faults({ outage: { durationMs: 300 } });
    expect(view.outage.remainingMs).toBeGreaterThan(0);
    expect((await rejection(charge(stripe, "pay_o"))).statusCode).toBe(503);
    expect((await rejection(stripe.paymentIntents.retrieve("pi_any"))).statusCode).toBe(503);
    await Bun.sleep(350);
    expect((await charge(stripe, "pay_o")).status).toBe("succeeded");
  });

  test("an outage in reset mode drops connections", async () => {
    await faults({ outage: { durationMs: 5_000, mode: "reset" } });
    expect(await rejection(charge(stripe, "pay_or"))).toBeInstanceOf(Stripe.errors.StripeConnectionError);
  });

  test("POST /__admin/reset forgets intents, keys, counts and faults", async () => {
    const pi = await charge(stripe, "pay_x");
    await faults({ rates: { "500": 1 } });
    await run.admin("POST", "/__admin/reset");
    expect(await run.admin("GET", "/__admin/charges")).toMatchObject({ total: 0, byPaymentId: {} });
    expect((await rejection(stripe.paymentIntents.retrieve(pi.id))).statusCode).toBe(404);
    expect((await run.admin("GET", "/__admin/faults")).rates).toEqual({});
  });

  test("the same seed meets the same faults", async () => {
    const outcomes = async (seed: number) => {
      const other = startSimulator({ seed });
      await other.admin("POST", "/__admin/faults", { rates: { "500": 0.3, "429": 0.2 }, phase: "before" });
      const s = other.stripe();
      const seen: number[] = [];
      for (let i = 0; i < 20; i++)
        seen.push(
          (await charge(s, `p${i}`).then(
            () => 200,
            (e) => e.statusCode,
          )) as number,
        );
      await other.stop();
      return seen;
    };
    const a = await outcomes(7);
    expect(await outcomes(7)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  test("bad fault settings are refused with the field named", async () => {
    const res = await run.admin("POST", "/__admin/faults", { rates: { "500": 0.8, "503": 0.5 } });
    expect(res.error.message).toContain("more than 1");
    expect((await run.admin("POST", "/__admin/faults", { rates: { teapot: 1 } })).error.message).toContain("teapot");
  });
});
