/**
 * /v1/routing through the real app: a merchant starts with no rules and the option off,
 * replaces both at once, reads them back in order; every invalid rule is a 400 naming its
 * field without echoing the value, and nothing is stored; merchants never see each other's
 * routing; the OpenAPI document shows the rule's schema.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMerchant } from "../../api/merchants/repo.ts";
import { loadRouting, RoutingError } from "../../shared/routing/store.ts";
import { createHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const rules = [
  { conditions: { currencies: ["EUR", "GBP"], amount_min: 1, amount_max: 50_000, payment_method_types: ["card"] }, connectors: ["adyen", "stripe"] },
  {
    conditions: { currencies: ["USD"] },
    split: [
      { connector: "stripe", percent: 70 },
      { connector: "adyen", percent: 30 },
    ],
  },
  { connectors: ["stripe"] },
];
const put = (body: unknown, key?: string) => h.call("PUT", "/v1/routing", { body, ...(key ? { key } : {}) });

describe("read and replace", () => {
  test("a merchant starts with no rules and soft-decline failover off", async () => {
    const res = await h.call("GET", "/v1/routing", { key: h.merchantB.apiKey });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ object: "routing", rules: [], failover_soft_declines: false });
  });

  test("PUT replaces the rules and the option; GET shows them in order; the store reads the same", async () => {
    const res = await put({ rules, failover_soft_declines: true });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ object: "routing", rules, failover_soft_declines: true });
    const got = await h.call("GET", "/v1/routing");
    expect(got.json).toEqual({ object: "routing", rules, failover_soft_declines: true });
    // Shown in the schema's key order, as written (jsonb keeps none).
    expect(got.text).toContain(
      '{"conditions":{"currencies":["EUR","GBP"],"amount_min":1,"amount_max":50000,"payment_method_types":["card"]},"connectors":["adyen","stripe"]}',
    );
    expect(got.text).toContain('"split":[{"connector":"stripe","percent":70},{"connector":"adyen","percent":30}]');
    expect(await loadRouting(h.primary, h.merchantA.merchantId)).toEqual({ rules, failoverSoftDeclines: true } as never);

    // A GET's answer goes back as it is; a shorter list leaves no old rule behind.
    expect((await put({ ...got.json, rules: [rules[2]] })).status).toBe(200);
    expect((await h.call("GET", "/v1/routing")).json).toEqual({ object: "routing", rules: [rules[2]], failover_soft_declines: true });
    expect((await put({ rules: [], failover_soft_declines: false })).json).toEqual({ object: "routing", rules: [], failover_soft_declines: false });
    const [row] = await h.primary<{ n: number }[]>`SELECT count(*)::int AS n FROM routing_rules WHERE merchant_id = ${h.merchantA.merchantId}`;
    expect(row?.n).toBe(0);
  });

  test("merchants never see or change each other's routing", async () => {
    expect((await put({ rules, failover_soft_declines: true })).status).toBe(200);
    expect((await h.call("GET", "/v1/routing", { key: h.merchantB.apiKey })).json).toEqual({ object: "routing", rules: [], failover_soft_declines: false });
    expect((await put({ rules: [rules[2]], failover_soft_declines: false }, h.merchantB.apiKey)).status).toBe(200);
    expect((await h.call("GET", "/v1/routing")).json.rules).toEqual(rules);
  });

  test("concurrent replaces leave one of them whole, never a mix", async () => {
    const a = Array.from({ length: 20 }, () => ({ connectors: ["adyen"] }));
    const b = Array.from({ length: 20 }, () => ({ connectors: ["stripe", "adyen"] }));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => put({ rules: i % 2 ? a : b, failover_soft_declines: i % 2 === 1 })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const got = (await h.call("GET", "/v1/routing")).json;
    expect([JSON.stringify({ r: a, f: true }), JSON.stringify({ r: b, f: false })]).toContain(JSON.stringify({ r: got.rules, f: got.failover_soft_declines }));
  });

  test("without a key it is 401, before the body is read", async () => {
    expect((await h.call("GET", "/v1/routing", { key: null })).status).toBe(401);
    expect((await h.call("PUT", "/v1/routing", { key: null, raw: "{not json", headers: { "content-type": "application/json" } })).status).toBe(401);
  });
});

describe("invalid routing is a 400 naming the field, and stores nothing", () => {
  const cases: [string, unknown, string, string?][] = [
    [
      "percents not summing to 100",
      {
        rules: [
          rules[0],
          rules[2],
          {
            split: [
              { connector: "stripe", percent: 60 },
              { connector: "adyen", percent: 30 },
            ],
          },
        ],
      },
      "rules.2.split",
      "percents must sum to 100",
    ],
    [
      "a split naming a connector twice",
      {
        rules: [
          {
            split: [
              { connector: "stripe", percent: 50 },
              { connector: "stripe", percent: 50 },
            ],
          },
        ],
      },
      "rules.0.split",
      "connectors must be distinct",
    ],
    ["an unknown connector", { rules: [{ connectors: ["stripe", "paypal"] }] }, "rules.0.connectors.1", "must be one of stripe, adyen"],
    ["an unknown connector in a split", { rules: [{ split: [{ connector: "worldpay", percent: 100 }] }] }, "rules.0.split.0.connector"],
    ["both connectors and split", { rules: [{ connectors: ["stripe"], split: [{ connector: "stripe", percent: 100 }] }] }, "rules.0"],
    ["neither connectors nor split", { rules: [{ conditions: { currencies: ["EUR"] } }] }, "rules.0"],
    ["an empty connector list", { rules: [{ connectors: [] }] }, "rules.0.connectors"],
    ["a connector listed twice", { rules: [{ connectors: ["adyen", "adyen"] }] }, "rules.0.connectors"],
    ["a lower-case currency", { rules: [{ conditions: { currencies: ["eur"] }, connectors: ["stripe"] }] }, "rules.0.conditions.currencies.0"],
    ["an unsupported currency", { rules: [{ conditions: { currencies: ["XXX"] }, connectors: ["stripe"] }] }, "rules.0.conditions.currencies.0"],
    ["amount_min above amount_max", { rules: [{ conditions: { amount_min: 500, amount_max: 100 }, connectors: ["stripe"] }] }, "rules.0.conditions.amount_min"],
    ["a fractional amount", { rules: [{ conditions: { amount_max: 10.5 }, connectors: ["stripe"] }] }, "rules.0.conditions.amount_max"],
    [
      "a fractional percent",
      {
        rules: [
          {
            split: [
              { connector: "stripe", percent: 70.5 },
              { connector: "adyen", percent: 29.5 },
            ],
          },
        ],
      },
      "rules.0.split.0.percent",
    ],
    [
      "an unknown payment method type",
      { rules: [{ conditions: { payment_method_types: ["sepa_debit"] }, connectors: ["stripe"] }] },
      "rules.0.conditions.payment_method_types.0",
    ],
    ["an unknown field in a rule", { rules: [{ connectors: ["stripe"], priority: 1 }] }, "rules.0.priority"],
    ["an unknown condition", { rules: [{ conditions: { country: "DE" }, connectors: ["stripe"] }] }, "rules.0.conditions.country"],
    ["more than 20 rules", { rules: Array.from({ length: 21 }, () => ({ connectors: ["stripe"] })) }, "rules"],
    ["rules not a list", { rules: { connectors: ["stripe"] } }, "rules"],
  ];

  beforeAll(async () => {
    expect((await put({ rules: [rules[2]], failover_soft_declines: false })).status).toBe(200);
  });

  for (const [name, body, param, message] of cases) {
    test(name, async () => {
      const res = await put({ failover_soft_declines: true, ...(body as object) });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({ type: "invalid_request_error", param });
      if (message) expect(res.json.error.message).toContain(message);
      for (const secret of ["paypal", "worldpay", "sepa_debit", "DE", "eur", "XXX"]) expect(res.json.error.message).not.toContain(secret);
      expect((await h.call("GET", "/v1/routing")).json).toEqual({ object: "routing", rules: [rules[2]], failover_soft_declines: false });
    });
  }

  test("the option and the rules are required; unknown top-level fields are refused", async () => {
    expect((await put({ rules: [] })).json.error).toMatchObject({ code: "parameter_missing", param: "failover_soft_declines" });
    expect((await put({ failover_soft_declines: true })).json.error).toMatchObject({ code: "parameter_missing", param: "rules" });
    expect((await put({ rules: [], failover_soft_declines: "yes" })).json.error).toMatchObject({ param: "failover_soft_declines" });
    expect((await put({ rules: [], failover_soft_declines: true, default: "adyen" })).json.error).toMatchObject({
      code: "parameter_unknown",
      param: "default",
    });
    expect((await put({ object: "list", rules: [], failover_soft_declines: true })).json.error).toMatchObject({ param: "object" });
  });

  test("the body is read as every body: JSON only, bounded, no card numbers", async () => {
    expect((await h.call("PUT", "/v1/routing", { raw: "{}", headers: { "content-type": "text/plain" } })).status).toBe(415);
    expect((await h.call("PUT", "/v1/routing", { raw: "{bad", headers: { "content-type": "application/json" } })).status).toBe(400);
    const big = { rules: [], failover_soft_declines: true, pad: "x".repeat(20_000) };
    expect((await put(big)).status).toBe(413);
    const card = await put({ rules: [{ connectors: ["stripe"], note: "4242 4242 4242 4242" }], failover_soft_declines: true });
    expect(card.json.error.code).toBe("card_data_not_allowed");
    expect(card.text).not.toContain("4242");
  });
});

test("a stored rule that fails its checks is an error, never routing by the rest", async () => {
  const b = await createMerchant(h.primary, "Routing stored");
  await h.primary`INSERT INTO routing_rules (merchant_id, position, rule) VALUES (${b.merchantId}, 0, ${h.primary.json({ connectors: ["paypal"] })})`;
  const err = await loadRouting(h.primary, b.merchantId).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RoutingError);
  expect(err).toMatchObject({ kind: "stored_invalid", problem: { param: "rules.0.connectors.0" } });
  expect((err as Error).message).not.toContain("paypal");
  // A PUT replaces it.
  expect((await put({ rules: [{ connectors: ["stripe"] }], failover_soft_declines: false }, b.apiKey)).status).toBe(200);
  expect((await loadRouting(h.primary, b.merchantId)).rules).toEqual([{ connectors: ["stripe"] }]);
});

test("the OpenAPI document shows the rule's schema and the operations' errors", async () => {
  const doc = (await h.call("GET", "/docs/openapi.json", { key: null })).json;
  const ops = doc.paths["/v1/routing"];
  expect(Object.keys(ops).sort()).toEqual(["get", "put"]);
  for (const status of ["400", "401", "413", "415", "429"]) expect(ops.put.responses[status]).toBeDefined();
  const text = JSON.stringify(ops.put.requestBody);
  for (const word of [
    "connectors",
    "split",
    "percent",
    "currencies",
    "amount_min",
    "amount_max",
    "payment_method_types",
    "failover_soft_declines",
    "adyen",
    "stripe",
  ]) {
    expect(text).toContain(word);
  }
});
