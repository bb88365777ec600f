/**
 * POST /v1/payments body rules: each rule rejects with 400 naming the field, and nothing
 * is stored for a rejected request.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const countPayments = async () =>
  Number((await h.primary`SELECT count(*)::int AS n FROM payments WHERE merchant_id = ${h.merchantA.merchantId}`)[0]!.n);

function withField(path: string, value: unknown): Record<string, unknown> {
  const body: any = validBody();
  const parts = path.split(".");
  let o = body;
  for (const p of parts.slice(0, -1)) o = o[p];
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return body;
}

const cases: [string, string, unknown][] = [
  ["amount missing", "amount", undefined],
  ["amount zero", "amount", 0],
  ["amount negative", "amount", -100],
  ["amount fractional (money is integer minor units)", "amount", 10.5],
  ["amount as string", "amount", "1000"],
  ["amount above the bound", "amount", 100_000_000],
  ["currency missing", "currency", undefined],
  ["currency lower case", "currency", "usd"],
  ["currency not ISO 4217", "currency", "XXY"],
  ["currency real but unsupported", "currency", "BHD"],
  ["payment_method missing", "payment_method", undefined],
  ["payment_method not a token", "payment_method", "card_visa"],
  ["payment_method empty token", "payment_method", "pm_"],
  ["payment_method with spaces", "payment_method", "pm_card visa"],
  ["payment_method too long", "payment_method", `pm_${"a".repeat(97)}`],
  ["customer missing", "customer", undefined],
  ["customer.email missing", "customer.email", undefined],
  ["customer.email invalid", "customer.email", "not-an-email"],
  ["customer.email too long", "customer.email", `${"a".repeat(250)}@example.com`],
  ["customer.name empty", "customer.name", ""],
  ["customer.name too long", "customer.name", "n".repeat(201)],
  ["customer unknown field", "customer.phone", "+1 555 0100"],
  ["description too long", "description", "d".repeat(501)],
  ["description not a string", "description", 42],
  ["metadata nested object", "metadata.nested", { a: "b" }],
  ["metadata non-string value", "metadata.count", 3],
  ["metadata value too long", "metadata.note", "v".repeat(501)],
  ["metadata key with spaces", "metadata.bad key", "x"],
  ["metadata key too long", `metadata.${"k".repeat(41)}`, "x"],
  ["unknown top-level field", "capture", true],
];

describe("POST /v1/payments validation", () => {
  test.each(cases)("%s -> 400 naming %s", async (_name, path, value) => {
    const before = await countPayments();
    const res = await h.create(withField(path, value));
    expect(res.status).toBe(400);
    expect(res.json.error.type).toBe("invalid_request_error");
    expect(res.json.error.param).toBe(path);
    expect(typeof res.json.error.message).toBe("string");
    expect(await countPayments()).toBe(before);
  });

  test("too many metadata keys -> 400 metadata", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]));
    const res = await h.create({ ...validBody(), metadata });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe("metadata");
  });

  test("body that is not an object -> 400", async () => {
    for (const body of [[], null, "x", 5]) {
      const res = await h.create(body);
      expect(res.status).toBe(400);
      expect(res.json.error.type).toBe("invalid_request_error");
    }
  });

  test("minimal valid body and bounds are accepted", async () => {
    const minimal = { amount: 1, currency: "JPY", payment_method: "pm_card_visa", customer: { email: "a@b.co" } };
    const res = await h.create(minimal);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ amount: 1, currency: "JPY", status: "PENDING", description: null, metadata: {} });
    const max = await h.create({ ...validBody(), amount: 99_999_999 });
    expect(max.status).toBe(201);
    expect(max.json.amount).toBe(99_999_999);
  });

  test("201 carries Location and the payment resource", async () => {
    const res = await h.create();
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v1/payments/${res.json.id}`);
    expect(res.json).toMatchObject({
      object: "payment",
      status: "PENDING",
      amount: 1999,
      currency: "USD",
      payment_method: "pm_card_visa",
      customer: { email: "jane@example.com", name: "Jane Doe" },
      description: "Order #1001",
      metadata: { order_id: "1001" },
      decline_code: null,
      last_error: null,
      decided_at: null,
    });
    expect(res.json.id).toMatch(/^pay_[0-9a-f]{32}$/);
  });
});
