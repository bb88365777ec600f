/**
 * Routing on the running stack: a merchant's rules decide each payment's connector, and a
 * volume split holds its percentages (deterministic per payment id), as the payments'
 * rows, their resources and the gateways' own ledgers show.
 */
import { describe, expect, test } from "bun:test";
import { postPayment } from "../setup/endpoints.ts";
import { chargesAt, finalStatuses, merchantRouted, pay, paymentOf } from "./support.ts";

describe("routing", () => {
  test("conditions pick the connector: GBP to Adyen, everything else to the default (Stripe)", async () => {
    const m = await merchantRouted("Conditions", [{ conditions: { currencies: ["GBP"], amount_max: 100_000 }, connectors: ["adyen"] }]);
    const [gbp, big, eur] = await Promise.all([pay(m, { currency: "GBP" }), pay(m, { currency: "GBP", amount: 100_001 }), pay(m, { currency: "EUR" })]);
    const final = await finalStatuses([gbp.id, big.id, eur.id], 30_000);
    expect(final.get(gbp.id)).toEqual({ status: "APPROVED", connector: "adyen" });
    expect(final.get(big.id)).toEqual({ status: "APPROVED", connector: "stripe" });
    expect(final.get(eur.id)).toEqual({ status: "APPROVED", connector: "stripe" });
    expect((await paymentOf(m, gbp.id)).attempts).toEqual([expect.objectContaining({ connector: "adyen", reason: "route", outcome: "approved" })]);
    expect(await chargesAt("adyen", gbp.id)).toBe(1);
    expect(await chargesAt("stripe", gbp.id)).toBe(0);
  }, 60_000);

  test("a 70/30 split holds within ±5 % over 2,000 payments, each charged once where it was routed", async () => {
    const m = await merchantRouted("Split", [
      {
        split: [
          { connector: "stripe", percent: 70 },
          { connector: "adyen", percent: 30 },
        ],
      },
    ]);
    const ids: string[] = [];
    // 20 clients at a time, as merchants' servers would send them.
    const queue = Array.from({ length: 2_000 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const res = await postPayment(
            { amount: 1000 + (i % 97), currency: "EUR", payment_method: "pm_card_visa", customer: { email: "split@example.test" } },
            { apiKey: m.apiKey },
          );
          if (res.status !== 201) throw new Error(`create ${res.status}`);
          ids.push(((await res.json()) as { id: string }).id);
        }
      }),
    );
    const final = await finalStatuses(ids, 240_000);
    const at = { stripe: 0, adyen: 0 } as Record<string, number>;
    for (const f of final.values()) {
      expect(f.status).toBe("APPROVED");
      at[f.connector!]! += 1;
    }
    expect(at.stripe! + at.adyen!).toBe(2_000);
    expect(at.stripe! / 2_000).toBeGreaterThanOrEqual(0.65);
    expect(at.stripe! / 2_000).toBeLessThanOrEqual(0.75);
    // Sampled against the ledgers: charged at the routed connector, never at the other.
    for (const id of ids.slice(0, 40)) {
      const c = final.get(id)!.connector as "stripe" | "adyen";
      expect(await chargesAt(c, id)).toBe(1);
      expect(await chargesAt(c === "stripe" ? "adyen" : "stripe", id)).toBe(0);
    }
  }, 300_000);
});
