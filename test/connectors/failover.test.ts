/**
 * Failover across connectors on the running stack, with real faults: the Stripe simulator's
 * port closed (connection refused: known not to have charged; simulator/listener.ts keeps
 * its ledger, which a stopped process would lose), or an answer lost after the charge
 * (ambiguous: only Stripe can say). A payment may move to Adyen only in the first
 * case; in the second it is resolved at Stripe, and across both ledgers it is charged once.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mongo } from "../payments/support.ts";
import { eventually } from "../setup/wait.ts";
import { chargesAt, circuitsClosed, finalStatuses, merchantRouted, pay, paymentOf, requestsAt, simAdmin, SIMS, type Merchant } from "./support.ts";

let m: Merchant;
const audit = (paymentId: string) =>
  mongo
    .db()
    .collection<{ gateway: string; routing?: string; operation: string; outcome: string }>("gateway_attempts")
    .find({ paymentId })
    .sort({ startedAt: 1 })
    .toArray();

afterAll(async () => {
  await simAdmin("stripe", "faults", { method: "DELETE" });
});

describe("failover", () => {
  test("Stripe down (its port closed): payments succeed on Adyen, and the payment and its audit say why", async () => {
    m = await merchantRouted("Failover", [{ connectors: ["stripe", "adyen"] }]);
    await simAdmin("stripe", "faults", { body: { outage: { mode: "refuse", durationMs: 15_000 } } });
    await eventually(
      "Stripe's port closed",
      () =>
        fetch(`${SIMS.stripe}/health`).then(
          () => false,
          () => true,
        ),
      5_000,
      20,
    );
    const ids = (await Promise.all(Array.from({ length: 8 }, () => pay(m)))).map((p) => p.id);
    const final = await finalStatuses(ids, 60_000);
    for (const id of ids) expect(final.get(id)).toEqual({ status: "APPROVED", connector: "adyen" });
    await eventually(
      "Stripe back",
      () =>
        fetch(`${SIMS.stripe}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      30_000,
    );
    for (const id of ids) {
      expect(await chargesAt("adyen", id)).toBe(1);
      const p = await paymentOf(m, id);
      expect(p.connector).toBe("adyen");
      const last = p.attempts.at(-1)!;
      expect(last).toMatchObject({ connector: "adyen", outcome: "approved" });
      // Either it was refused by Stripe first (failover), or Stripe's circuit was already open (fallback).
      if (p.attempts.length === 2) {
        expect(p.attempts[0]).toMatchObject({ connector: "stripe", reason: "route" });
        expect(p.attempts[0]!.outcome).toStartWith("not processed");
        expect(last.reason).toBe("failover");
      } else {
        expect(p.attempts).toEqual([expect.objectContaining({ connector: "adyen", reason: "fallback" })]);
      }
      const docs = await eventually(
        "the audit documents",
        async () => {
          const d = await audit(id);
          return d.some((x) => x.gateway === "adyen") && d;
        },
        10_000,
      );
      expect(docs.filter((d) => d.gateway === "adyen").map((d) => [d.routing, d.outcome])).toEqual([[last.reason, "approved"]]);
      for (const d of docs.filter((x) => x.gateway === "stripe")) expect(d.outcome).toBe("retry");
    }
    // Stripe never saw them, and holds no charge for them.
    for (const id of ids) {
      expect(await chargesAt("stripe", id)).toBe(0);
      expect(await requestsAt("stripe", id)).toEqual([]);
    }
  }, 120_000);

  test("an ambiguous fault at Stripe (charged, answer lost) is resolved at Stripe: never charged on Adyen, one charge in all", async () => {
    m ??= await merchantRouted("Failover", [{ connectors: ["stripe", "adyen"] }]);
    // Wait out the previous test's open circuit: these payments must go to Stripe first.
    await circuitsClosed();
    // Each fault after Stripe charged, once per payment, for a merchant of its own.
    const faults = ["500", "reset", "503"] as const;
    const merchants = await Promise.all(faults.map((kind) => merchantRouted(`Ambiguous ${kind}`, [{ connectors: ["stripe", "adyen"] }])));
    await simAdmin("stripe", "faults", {
      body: { rules: merchants.map((mm, i) => ({ match: { merchant_id: mm.merchantId }, kind: faults[i], phase: "after", times: 1 })) },
    });
    const ids = (await Promise.all(merchants.flatMap((mm) => [pay(mm, { amount: 3100 }), pay(mm, { amount: 3200 })]))).map((p) => p.id);
    const final = await finalStatuses(ids, 120_000);
    let resolvedAtStripe = 0;
    for (const id of ids) {
      expect(final.get(id)?.status).toBe("APPROVED");
      expect((await chargesAt("stripe", id)) + (await chargesAt("adyen", id))).toBe(1);
      const atStripe = await requestsAt("stripe", id);
      // The faults count against Stripe's circuit: a payment assigned once it opened goes to
      // Adyen without a request to Stripe. One that reached Stripe stays there.
      if (atStripe.length === 0) {
        expect(final.get(id)?.connector).toBe("adyen");
        continue;
      }
      expect(final.get(id)?.connector).toBe("stripe");
      expect((await requestsAt("adyen", id)).length).toBe(0);
      // The fault happened: Stripe's first answer was lost, and the payment was looked up there.
      if (atStripe.some((r) => r.fault !== null)) resolvedAtStripe++;
    }
    expect(resolvedAtStripe).toBeGreaterThanOrEqual(faults.length);
  }, 180_000);
});
