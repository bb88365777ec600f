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

const countPayments = async () => Number((await h.primary`SELECT count(*)::int AS n FROM payments WHERE merchant_id = ${h.merchantA.merchantId}`)[0]!.n);

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
  // Text that Postgres' jsonb refuses, or that is no text at all (docs/decisions.md).
  ["customer.name with NUL", "customer.name", "A\u0000B"],
  ["customer.name with a line feed (a name is one line)", "customer.name", "Jane\nDoe"],
  ["customer.name with a tab", "customer.name", "Jane\tDoe"],
  ["customer.name with DEL", "customer.name", "Jane\u007fDoe"],
  ["customer.name with a C1 control", "customer.name", "Jane\u0085Doe"],
  ["customer.name with a lone high surrogate", "customer.name", "Jane \ud83d"],
  ["customer.name with a noncharacter", "customer.name", "Jane\ufffe"],
  ["description with NUL", "description", "Order\u0000#1"],
  ["description with a lone low surrogate", "description", "Order \ude00 #1"],
  ["description with ESC", "description", "Order \u001b[31m#1"],
  ["description with a supplementary noncharacter", "description", "Order \u{10ffff}"],
  ["metadata value with NUL", "metadata.note", "a\u0000b"],
  ["metadata value with a lone surrogate", "metadata.note", "\ud800"],
  ["metadata value with a vertical tab", "metadata.note", "a\u000bb"],
  // Mailboxes: RFC 5321 lengths, dot-atom local part, host name or IDNA domain with a TLD.
  ["customer.email with NUL", "customer.email", "ja\u0000ne@example.com"],
  ["customer.email with a control in the domain", "customer.email", "jane@exa\u0007mple.com"],
  ["customer.email with two @", "customer.email", "jane@doe@example.com"],
  ["customer.email without a TLD", "customer.email", "jane@localhost"],
  ["customer.email with a numeric TLD", "customer.email", "jane@10.0.0.1"],
  ["customer.email with a one-letter TLD", "customer.email", "jane@example.c"],
  ["customer.email with a symbol in the domain", "customer.email", "jane@exa$mple.com"],
  ["customer.email with a snowman domain (not IDNA2008)", "customer.email", "jane@\u2603.com"],
  ["customer.email with an invalid A-label", "customer.email", "jane@xn--a.com"],
  ["customer.email with a label starting with a hyphen", "customer.email", "jane@-example.com"],
  ["customer.email with an empty label", "customer.email", "jane@example..com"],
  ["customer.email with a trailing dot", "customer.email", "jane@example.com."],
  ["customer.email with a label over 63", "customer.email", `jane@${"a".repeat(64)}.com`],
  ["customer.email with a local part over 64", "customer.email", `${"j".repeat(65)}@example.com`],
  ["customer.email with a leading dot", "customer.email", ".jane@example.com"],
  ["customer.email with two dots in a row", "customer.email", "ja..ne@example.com"],
  ["customer.email with a quoted local part", "customer.email", '"jane doe"@example.com'],
  ["customer.email with a non-ASCII local part", "customer.email", "jürgen@example.com"],
  ["customer.email with a fullwidth domain", "customer.email", "jane@\uff45xample.com"],
  ["customer.email with an IP literal", "customer.email", "jane@[127.0.0.1]"],
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

  test("text with the whitespace controls a field may hold, and real mailboxes, are accepted and kept as sent", async () => {
    const body = {
      ...validBody(),
      customer: { email: "o'brien.test+tag@bücher.example.de", name: "Zoë 👩🏽‍💻 O'Brien" },
      description: "line one\n\tline two\r\nend",
      metadata: { note: "a\tb\nc\r" },
    };
    const res = await h.create(body);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ customer: body.customer, description: body.description, metadata: body.metadata });
    const read = await h.call("GET", `/v1/payments/${res.json.id}`);
    expect(read.json).toMatchObject({ customer: body.customer, description: body.description, metadata: body.metadata });
    for (const email of ["a@b.co", "x@xn--bcher-kva.de", "first.last@sub-domain.example.museum", "!#$%&'*+/=?^_`{|}~-@example.org"]) {
      const ok = await h.create({ ...validBody(), customer: { email } });
      expect(ok.status).toBe(201);
    }
  });

  test("an error about a bad value never echoes it", async () => {
    const res = await h.create({ ...validBody(), customer: { email: "secret-value\u0000@example.com", name: "secret-name\u0000" } });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain("secret-");
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
