/**
 * Card numbers anywhere in the request are rejected with a clear error and are never
 * stored, logged or echoed back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const PAN = "4242424242424242";
/** The digits of a text in the scripts these tests use (ASCII, Arabic-Indic, Devanagari; NFKC folds fullwidth). */
const ZEROS = [0x30, 0x660, 0x966];
const digitsOf = (s: string) =>
  [...s.normalize("NFKC")]
    .map((c) => {
      const cp = c.codePointAt(0)!;
      const zero = ZEROS.find((z) => cp >= z && cp - z <= 9);
      return zero === undefined ? "" : String(cp - zero);
    })
    .join("");

/**
 * A raw body whose description is the PAN spelled digit by digit as JSON escapes
 * ("\u0034\u0032…"): the bytes sent never hold the PAN's digit run; only parsing the JSON
 * turns the escapes into it.
 */
function escapedPanBody(): string {
  const escaped = [...PAN].map((d) => `\\u${d.codePointAt(0)!.toString(16).padStart(4, "0")}`).join("");
  return JSON.stringify({ ...validBody(), description: "ESCAPED" }).replace('"ESCAPED"', `"${escaped}"`);
}

const placements: [string, (b: any) => unknown, string][] = [
  ["description, spaced", (b) => ({ ...b, description: "card 4242 4242 4242 4242 exp 12/30" }), "description"],
  ["customer.name, dashed", (b) => ({ ...b, customer: { ...b.customer, name: "4000-0566-5566-5556" } }), "customer.name"],
  ["customer.email", (b) => ({ ...b, customer: { email: `${PAN}@example.com` } }), "customer.email"],
  ["metadata value", (b) => ({ ...b, metadata: { note: `pan=${PAN}` } }), "metadata.note"],
  ["metadata key", (b) => ({ ...b, metadata: { [PAN]: "x" } }), "metadata"],
  ["payment_method", (b) => ({ ...b, payment_method: `pm_${PAN}` }), "payment_method"],
  ["unknown field", (b) => ({ ...b, card_number: PAN }), "card_number"],
  ["amount as a number", (b) => ({ ...b, amount: Number(PAN) }), "amount"],
  ["Amex 15 digits", (b) => ({ ...b, description: "378282246310005" }), "description"],
  ["after another number", (b) => ({ ...b, description: "ref 12 4242 4242 4242 4242" }), "description"],
  // Spellings that once got through: other separators, non-ASCII digits, digits glued to letters.
  ["dotted", (b) => ({ ...b, description: "4242.4242.4242.4242" }), "description"],
  ["slashed with spaces", (b) => ({ ...b, description: "4242 / 4242 / 4242 / 4242" }), "description"],
  ["two spaces apart", (b) => ({ ...b, customer: { ...b.customer, name: "4242  4242  4242  4242" } }), "customer.name"],
  ["no-break spaces and en dashes", (b) => ({ ...b, description: "4242\u00a04242\u20134242\u20134242" }), "description"],
  ["underscores", (b) => ({ ...b, metadata: { ref: "4242_4242_4242_4242" } }), "metadata.ref"],
  ["fullwidth digits", (b) => ({ ...b, description: "\uff14\uff12\uff14\uff12".repeat(4) }), "description"],
  ["Arabic-Indic digits", (b) => ({ ...b, description: "\u0664\u0662\u0664\u0662".repeat(4) }), "description"],
  ["Devanagari digits, spaced", (b) => ({ ...b, description: Array(4).fill("\u096a\u0968\u096a\u0968").join(" ") }), "description"],
  ["glued to letters", (b) => ({ ...b, description: `card${PAN}exp1230` }), "description"],
  ["glued to a letter, spaced", (b) => ({ ...b, metadata: { note: "cc4242 4242 4242 4242" } }), "metadata.note"],
  ["zero-width spaces between digits", (b) => ({ ...b, description: PAN.split("").join("\u200b") }), "description"],
];

describe("card numbers are refused", () => {
  test.each(placements)("in %s -> 400 card_data_not_allowed", async (_name, place, param) => {
    const marker = `card-test-${crypto.randomUUID()}`;
    const res = await h.create(place(validBody()), { idem: marker });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("card_data_not_allowed");
    expect(res.json.error.param).toBe(param);
    expect(digitsOf(res.text)).not.toContain(PAN);
    const stored = await h.primary`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = ${marker}`;
    expect(stored[0]!.n).toBe(0);
  });

  test("a PAN written as JSON \\u escapes in the raw body -> 400 naming the field, not stored", async () => {
    const raw = escapedPanBody();
    expect(raw).toContain("\\u0034\\u0032\\u0034\\u0032");
    expect(raw).not.toContain("4242");
    expect(JSON.parse(raw).description).toBe(PAN);
    const marker = `card-test-${crypto.randomUUID()}`;
    const res = await h.call("POST", "/v1/payments", { raw, headers: { "content-type": "application/json" }, idem: marker });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("card_data_not_allowed");
    expect(res.json.error.param).toBe("description");
    expect(digitsOf(res.text)).not.toContain(PAN);
    expect(res.text).not.toContain("\\u0034\\u0032");
    const stored = await h.primary`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = ${marker}`;
    expect(stored[0]!.n).toBe(0);
  });

  test("a PAN in a huge JSON number (beyond double precision) is caught from the raw text", async () => {
    const raw = JSON.stringify(validBody()).replace('"amount":1999', '"amount":4242424242424242428');
    const res = await h.call("POST", "/v1/payments", { raw, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("card_data_not_allowed");
  });

  test("a PAN inside malformed JSON gets the card error, not a parse error", async () => {
    const res = await h.call("POST", "/v1/payments", {
      raw: `{"description": "4242 4242 4242 4242"`,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("card_data_not_allowed");
  });

  test("nothing with the PAN reaches the database or the logs", async () => {
    const panVariants = [PAN, "4000056655665556", "378282246310005"];
    // Only rows written from here on: the whole outbox grows without bound (benchmarks).
    const before = (await h.primary`SELECT coalesce(max(id), 0) AS id FROM outbox`)[0]!.id as string;
    for (const [, place] of placements) await h.create(place(validBody()));
    await h.call("POST", "/v1/payments", { raw: escapedPanBody(), headers: { "content-type": "application/json" } });
    const dump = await h.primary`
      SELECT coalesce(string_agg(p::text, ''), '') AS t FROM payments p WHERE merchant_id = ${h.merchantA.merchantId}`;
    const outbox = await h.primary`SELECT coalesce(string_agg(o::text, ''), '') AS t FROM outbox o WHERE id > ${before}`;
    const logs = h.logLines.join("");
    for (const pan of panVariants) {
      expect(digitsOf(dump[0]!.t)).not.toContain(pan);
      expect(digitsOf(outbox[0]!.t)).not.toContain(pan);
      expect(digitsOf(logs)).not.toContain(pan);
    }
    // Nor the escaped spelling, which holds none of the digits as digits.
    for (const text of [dump[0]!.t, outbox[0]!.t, logs]) expect(text).not.toContain("\\u0034\\u0032\\u0034\\u0032");
  });

  test("digit runs that are not card numbers are accepted", async () => {
    // 16 digits failing Luhn, a Luhn-valid ms timestamp, a date-time stamp, a phone number, a 24-digit id.
    const res = await h.create({
      ...validBody(),
      description: "order 4242424242424241 at 1764403200009, batch 20241231-123456, call 5550100123",
      metadata: { ref: "123456789012345678901234" },
    });
    expect(res.json).toMatchObject({ status: "PENDING" });
    expect(res.status).toBe(201);
  });

  test("JSON punctuation between short values does not join them into a card number", async () => {
    // Raw, this body holds "4242":"4242","4243":"4209": four groups of four that pass Luhn.
    const res = await h.create({ ...validBody(), metadata: { "4242": "4242", "4243": "4209" } });
    expect(res.status).toBe(201);
  });

  test("ids, timestamps and phone numbers are accepted", async () => {
    const res = await h.create({
      ...validBody(),
      description: `ref ${crypto.randomUUID()} at ${new Date().toISOString()} (${Date.now()}), call +4915123456789`,
      metadata: { payment: `pay_${Bun.randomUUIDv7().replaceAll("-", "")}`, stamp: "20241231123456" },
    });
    expect(res.status).toBe(201);
  });

  test("a PAN in the Idempotency-Key is refused and not stored", async () => {
    const res = await h.create(validBody(), { idem: `retry-${PAN}` });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("card_data_not_allowed");
    expect(res.json.error.param).toBe("Idempotency-Key");
  });
});
