import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { routeFor, splitBucket } from "./decide.ts";
import { checkRules, paymentMethodType, type RoutingRule } from "./model.ts";

const pay = (over: Partial<{ id: string; amount: number; currency: string; paymentMethod: string }> = {}) => ({
  id: "pay_0190f5a2c3d47e8f9a0b1c2d3e4f5a6b",
  amount: 5000,
  currency: "EUR",
  paymentMethod: "pm_card_visa",
  ...over,
});

const paymentId = fc.stringMatching(/^[0-9a-f]{32}$/).map((hex) => `pay_${hex}`);
const split7030: RoutingRule[] = [
  {
    split: [
      { connector: "adyen", percent: 70 },
      { connector: "stripe", percent: 30 },
    ],
  },
];

describe("routeFor", () => {
  test("the first rule whose conditions all match decides; none matching, the defaults", () => {
    const rules: RoutingRule[] = [
      { conditions: { currencies: ["GBP"] }, connectors: ["adyen"] },
      { conditions: { currencies: ["EUR"], amount_min: 10_000 }, connectors: ["adyen", "stripe"] },
      { conditions: { currencies: ["EUR"], amount_max: 9_999 }, connectors: ["stripe", "adyen"] },
    ];
    expect(routeFor(rules, pay({ currency: "GBP" }), ["stripe"])).toEqual({ order: ["adyen"], reason: "route", rule: 0 });
    expect(routeFor(rules, pay({ amount: 10_000 }), ["stripe"])).toEqual({ order: ["adyen", "stripe"], reason: "route", rule: 1 });
    expect(routeFor(rules, pay({ amount: 9_999 }), ["stripe"])).toEqual({ order: ["stripe", "adyen"], reason: "route", rule: 2 });
    expect(routeFor(rules, pay({ currency: "USD" }), ["stripe"])).toEqual({ order: ["stripe"], reason: "default", rule: null });
    expect(routeFor([], pay(), ["stripe", "adyen"])).toEqual({ order: ["stripe", "adyen"], reason: "default", rule: null });
  });

  test("amount bounds are inclusive, and a rule without conditions matches everything", () => {
    const rules: RoutingRule[] = [{ conditions: { amount_min: 100, amount_max: 200 }, connectors: ["adyen"] }, { connectors: ["stripe"] }];
    expect(routeFor(rules, pay({ amount: 100 }), []).rule).toBe(0);
    expect(routeFor(rules, pay({ amount: 200 }), []).rule).toBe(0);
    expect(routeFor(rules, pay({ amount: 99 }), []).rule).toBe(1);
    expect(routeFor(rules, pay({ amount: 201 }), []).rule).toBe(1);
  });

  test("payment method types come from the token: pm_card_… is a card, anything else matches no type", () => {
    expect(paymentMethodType("pm_card_visa")).toBe("card");
    expect(paymentMethodType("pm_card_chargeDeclinedProcessingError")).toBe("card");
    expect(paymentMethodType("pm_1Nabc")).toBeNull();
    expect(paymentMethodType("pm_cardx")).toBeNull();
    const rules: RoutingRule[] = [{ conditions: { payment_method_types: ["card"] }, connectors: ["adyen"] }];
    expect(routeFor(rules, pay(), ["stripe"]).order).toEqual(["adyen"]);
    expect(routeFor(rules, pay({ paymentMethod: "pm_1Nabc" }), ["stripe"]).order).toEqual(["stripe"]);
  });

  test("a split puts the picked connector first and the split's others after it", () => {
    const r = routeFor(split7030, pay(), ["stripe"]);
    expect(r.reason).toBe("split");
    expect(r.rule).toBe(0);
    expect(r.order).toEqual(splitBucket(pay().id) < 70 ? ["adyen", "stripe"] : ["stripe", "adyen"]);
  });

  test("a connector at 0 % is never picked first but stays the failover", () => {
    const rules: RoutingRule[] = [
      {
        split: [
          { connector: "stripe", percent: 0 },
          { connector: "adyen", percent: 100 },
        ],
      },
    ];
    fc.assert(
      fc.property(paymentId, (id) => expect(routeFor(rules, pay({ id }), []).order).toEqual(["adyen", "stripe"])),
      { numRuns: 300 },
    );
  });

  test("property: a 70/30 split lands within ±5 % over 2,000 payment ids", () => {
    fc.assert(
      fc.property(fc.uniqueArray(paymentId, { minLength: 2000, maxLength: 2000 }), (ids) => {
        const first = ids.map((id) => routeFor(split7030, pay({ id }), ["stripe"]).order[0]);
        const share = first.filter((c) => c === "adyen").length / ids.length;
        expect(share).toBeGreaterThanOrEqual(0.65);
        expect(share).toBeLessThanOrEqual(0.75);
      }),
      { numRuns: 25 },
    );
  });

  test("property: time-ordered ids from one millisecond split as evenly (the hash, not the id's order, decides)", () => {
    const prefix = "0190f5a2c3d47";
    const ids = Array.from({ length: 2000 }, (_, i) => `pay_${prefix}${i.toString(16).padStart(19, "0")}`);
    const share = ids.filter((id) => routeFor(split7030, pay({ id }), []).order[0] === "adyen").length / ids.length;
    expect(Math.abs(share - 0.7)).toBeLessThanOrEqual(0.05);
  });

  test("property: the same payment always routes the same, whatever else it carries", () => {
    fc.assert(
      fc.property(paymentId, fc.integer({ min: 1, max: 99_999_999 }), (id, amount) => {
        const once = routeFor(split7030, pay({ id }), ["stripe"]);
        expect(routeFor(split7030, pay({ id, amount }), ["stripe"])).toEqual(once);
        expect(routeFor(structuredClone(split7030), pay({ id }), ["stripe"])).toEqual(once);
        expect(splitBucket(id)).toBe(splitBucket(id));
      }),
      { numRuns: 500 },
    );
  });

  test("buckets are fixed: a known id's bucket never changes between releases", () => {
    // A change here would move payments between a split's connectors without any rule changing.
    expect(splitBucket("pay_0190f5a2c3d47e8f9a0b1c2d3e4f5a6b")).toBe(0x45258ec5 % 100);
    expect(splitBucket("pay_0190f5a2c3d47e8f9a0b1c2d3e4f5a6b")).toBe(85);
    expect(splitBucket("pay_00000000000000000000000000000000")).toBe(49);
    expect(splitBucket("pay_ffffffffffffffffffffffffffffffff")).toBe(51);
  });
});

describe("checkRules", () => {
  const problem = (value: unknown) => {
    const r = checkRules(value);
    return r.ok ? null : r.problem;
  };

  test("names the field and says what is wrong, never the value", () => {
    expect(
      problem([
        { connectors: ["stripe"] },
        { connectors: ["adyen"] },
        {
          split: [
            { connector: "stripe", percent: 60 },
            { connector: "adyen", percent: 30 },
          ],
        },
      ]),
    ).toEqual({
      param: "rules.2.split",
      message: "percents must sum to 100",
    });
    expect(
      problem([
        {
          split: [
            { connector: "stripe", percent: 50 },
            { connector: "stripe", percent: 50 },
          ],
        },
      ]),
    ).toEqual({ param: "rules.0.split", message: "connectors must be distinct" });
    expect(problem([{ connectors: ["stripe"], split: [{ connector: "stripe", percent: 100 }] }])?.param).toBe("rules.0");
    expect(problem([{ conditions: { currencies: ["EUR"] } }])?.param).toBe("rules.0");
    expect(problem([{ connectors: ["stripe", "paypal"] }])).toEqual({ param: "rules.0.connectors.1", message: "must be one of stripe, adyen" });
    expect(problem([{ connectors: ["stripe", "stripe"] }])?.param).toBe("rules.0.connectors");
    expect(problem([{ connectors: [] }])?.param).toBe("rules.0.connectors");
    expect(problem([{ connectors: ["stripe"], conditions: { currencies: ["eur"] } }])?.param).toBe("rules.0.conditions.currencies.0");
    expect(problem([{ connectors: ["stripe"], conditions: { amount_min: 500, amount_max: 100 } }])?.param).toBe("rules.0.conditions.amount_min");
    expect(problem([{ connectors: ["stripe"], conditions: { amount_min: 1.5 } }])?.param).toBe("rules.0.conditions.amount_min");
    expect(problem([{ connectors: ["stripe"], conditions: { payment_method_types: ["sepa_debit"] } }])?.param).toBe(
      "rules.0.conditions.payment_method_types.0",
    );
    expect(problem([{ connectors: ["stripe"], weight: 3 }])).toEqual({ param: "rules.0.weight", message: "unknown field" });
    expect(
      problem([
        {
          split: [
            { connector: "stripe", percent: 70.5 },
            { connector: "adyen", percent: 29.5 },
          ],
        },
      ])?.param,
    ).toBe("rules.0.split.0.percent");
    expect(problem(Array.from({ length: 21 }, () => ({ connectors: ["stripe"] })))?.param).toBe("rules");
    expect(JSON.stringify(problem([{ connectors: ["paypal"] }]))).not.toContain("paypal");
  });

  test("accepts every valid shape", () => {
    const rules = [
      { conditions: { currencies: ["EUR", "GBP"], amount_min: 1, amount_max: 100_000, payment_method_types: ["card"] }, connectors: ["adyen", "stripe"] },
      {
        conditions: { currencies: ["USD"] },
        split: [
          { connector: "stripe", percent: 70 },
          { connector: "adyen", percent: 30 },
        ],
      },
      { connectors: ["stripe"] },
    ];
    expect(checkRules(rules)).toEqual({ ok: true, rules: rules as RoutingRule[] });
    expect(checkRules([]).ok).toBe(true);
  });
});
