/**
 * What a client needs to find out what the gateway already has, and the simulated time that
 * makes Stripe's 24-hour idempotency window testable: the clock, key expiry, retrieve and
 * search by metadata, an intent that stays processing, a 500 stored under a key, per-payment
 * fault rules and the request log.
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import Stripe from "stripe";
import { charge, headerOf, rejection, startSimulator } from "./testing.ts";

const run = startSimulator();
const stripe = run.stripe();
afterAll(() => run.stop());
beforeEach(() => run.admin("POST", "/__admin/reset"));

const HOUR = 3_600_000;
const advance = (ms: number) => run.admin("POST", "/__admin/clock", { advanceMs: ms });
const forPayment = (id: string) => run.admin("GET", `/__admin/charges/${id}`);
const faults = (body: unknown) => run.admin("POST", "/__admin/faults", body);
const searchFor = (paymentId: string) => stripe.paymentIntents.search({ query: `metadata['payment_id']:'${paymentId}'` });

describe("the simulated clock and the 24-hour key window", () => {
  test("within 24 h the key replays; after 25 h the same key creates and charges again", async () => {
    const first = await charge(stripe, "pay_old");
    await advance(23 * HOUR);
    expect((await charge(stripe, "pay_old")).id).toBe(first.id);
    await advance(2 * HOUR);
    const again = await charge(stripe, "pay_old");
    expect(again.id).not.toBe(first.id);
    expect((await forPayment("pay_old")).charges).toBe(2);
  });

  test("the clock only moves forward, by a whole number of milliseconds", async () => {
    const before = await run.admin("GET", "/__admin/clock");
    const after = await advance(HOUR);
    expect(after.offsetMs).toBe(HOUR);
    expect(after.now - before.now).toBeGreaterThanOrEqual(HOUR);
    expect((await run.admin("POST", "/__admin/clock", { advanceMs: -1 })).error.message).toContain("advanceMs");
  });
});

describe("finding the intents of a payment", () => {
  test("search by metadata[payment_id] finds every intent of the payment, newest first, and nothing for an unknown one", async () => {
    const a = await charge(stripe, "pay_s");
    await advance(25 * HOUR);
    const b = await charge(stripe, "pay_s");
    const found = await searchFor("pay_s");
    expect(found.object).toBe("search_result");
    expect(found.data.map((pi) => pi.id)).toEqual([b.id, a.id]);
    expect((await searchFor("pay_none")).data).toEqual([]);
    const byStatus = await stripe.paymentIntents.search({ query: `metadata['payment_id']:'pay_s' AND status:'succeeded'` });
    expect(byStatus.data).toHaveLength(2);
  });

  test("a query outside the supported language is a 400, not a silent empty result", async () => {
    const err = await rejection(stripe.paymentIntents.search({ query: "amount>100" }));
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  test("pm_card_processing stays processing (also on replay) until simulated time passes, then retrieve shows it succeeded and charged", async () => {
    const pi = await charge(stripe, "pay_p", "pm_card_processing");
    expect(pi.status).toBe("processing");
    expect((await charge(stripe, "pay_p", "pm_card_processing")).status).toBe("processing");
    expect((await forPayment("pay_p")).charges).toBe(0);
    await advance(2 * HOUR);
    // The replayed create still says processing: only a read learns what happened since.
    expect((await charge(stripe, "pay_p", "pm_card_processing")).status).toBe("processing");
    const now = await stripe.paymentIntents.retrieve(pi.id);
    expect(now.status).toBe("succeeded");
    expect(now.amount_received).toBe(2000);
    expect((await forPayment("pay_p")).charges).toBe(1);
  });
});

describe("faults for one payment", () => {
  test("a stored 500 is replayed under its key forever; nothing was charged and a new key can charge", async () => {
    await faults({ rules: [{ match: { payment_id: "pay_st" }, kind: "500", phase: "stored", times: 1 }] });
    const first = await rejection(charge(stripe, "pay_st"));
    expect(first.statusCode).toBe(500);
    const replay = await rejection(charge(stripe, "pay_st"));
    expect(replay.statusCode).toBe(500);
    expect(headerOf(replay.headers, "idempotent-replayed")).toBe("true");
    expect((await searchFor("pay_st")).data).toEqual([]);
    const pi = await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: "usd",
        payment_method: "pm_card_visa",
        confirm: true,
        allowed_payment_method_types: ["card"],
        metadata: { payment_id: "pay_st" },
      },
      { idempotencyKey: "pay_st:1" },
    );
    expect(pi.status).toBe("succeeded");
    expect((await forPayment("pay_st")).charges).toBe(1);
  });

  test("rules match the metadata of the intent a request is about, in order, `times` per payment", async () => {
    await faults({
      rules: [
        { match: { merchant_id: "mer_x" }, kind: "500", phase: "after", times: 1 },
        { match: { merchant_id: "mer_x" }, kind: "401" },
      ],
    });
    const create = (id: string, merchant: string) =>
      stripe.paymentIntents.create(
        {
          amount: 2000,
          currency: "usd",
          payment_method: "pm_card_visa",
          confirm: true,
          allowed_payment_method_types: ["card"],
          metadata: { payment_id: id, merchant_id: merchant },
        },
        { idempotencyKey: id },
      );
    for (const id of ["pay_r1", "pay_r2"]) {
      expect((await rejection(create(id, "mer_x"))).statusCode).toBe(500); // charged, answer lost
      const search = await rejection(searchFor(id)); // the search is about the same intent: the next rule
      expect(search).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(search.code).toBe("api_key_expired");
      expect((await forPayment(id)).charges).toBe(1);
    }
    expect((await create("pay_other", "mer_y")).status).toBe("succeeded");
  });
});

describe("the request log", () => {
  test("records every /v1 request in order with the client's exchange id, its payment, status and fault", async () => {
    await faults({ next: [{ kind: "503", phase: "after" }] });
    await rejection(
      stripe.paymentIntents.create(
        {
          amount: 2000,
          currency: "usd",
          payment_method: "pm_card_visa",
          confirm: true,
          allowed_payment_method_types: ["card"],
          metadata: { payment_id: "pay_l" },
        },
        { idempotencyKey: "pay_l", headers: { "Payorch-Exchange-Id": "ex-1" } },
      ),
    );
    const pi = (await searchFor("pay_l")).data[0]!;
    await stripe.paymentIntents.retrieve(pi.id, {}, { headers: { "Payorch-Exchange-Id": "ex-3" } });
    const log = (await run.admin("GET", "/__admin/requests?payment_id=pay_l")).data;
    expect(log.map((r: any) => [r.method, r.path, r.exchangeId, r.status, r.fault])).toEqual([
      ["POST", "/v1/payment_intents", "ex-1", 503, "503/after"],
      ["GET", "/v1/payment_intents/search", null, 200, null],
      ["GET", `/v1/payment_intents/${pi.id}`, "ex-3", 200, null],
    ]);
    expect(log[0].idempotencyKey).toBe("pay_l");
    const later = (await run.admin("GET", `/__admin/requests?after_seq=${log[1].seq}`)).data;
    expect(later.map((r: any) => r.exchangeId)).toEqual(["ex-3"]);
  });
});
