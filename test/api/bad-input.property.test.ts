/**
 * Property-based bad input against the API's own OpenAPI document, through Caddy.
 *
 * Create bodies are valid except, most of the time, for ONE field (or one metadata key or
 * value), which gets a hostile value: controls, lone surrogates, noncharacters, bounds
 * and one past them, near-miss mailboxes, card numbers, wrong types. So most requests
 * get past validation as far as that field allows, and a value that slips through
 * reaches the database. Properties: never a 5xx; a valid body is created and stored as
 * sent; a rejection names the field that was changed and has the one error shape.
 *
 * Runs: PROPERTY_RUNS (default 1,000). Outside CI run it with PROPERTY_RUNS=10000.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DEV_MERCHANT_KEY } from "../../infra/stack/components/index.ts";
import { publicFetch } from "../setup/endpoints.ts";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1_000);
const timeoutFor = (runs: number) => 60_000 + runs * 100;

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  anyOf?: Schema[];
  const?: unknown;
};
let createSchema: Schema;
let operations: { path: string; method: string }[];

beforeAll(async () => {
  const doc = (await (await publicFetch("/docs/openapi.json")).json()) as {
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  };
  createSchema = doc.paths["/v1/payments"]?.post?.requestBody?.content["application/json"]?.schema as Schema;
  operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ path, method: method.toUpperCase() })));
  expect(createSchema?.properties?.amount).toBeDefined();
});

const currencies = (s: Schema): string[] =>
  (s.properties?.currency?.enum as string[] | undefined) ?? (s.properties?.currency?.anyOf ?? []).map((c) => String(c.const ?? c.enum?.[0]));

// --- valid values --------------------------------------------------------------------------

/** Text a person types: letters of many scripts, emoji, punctuation, at most a few digits. */
const word = fc.oneof(
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 12 }),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 6 }),
  fc.constantFrom("Zoë", "O'Brien", "Ђорђе", "李小龙", "محمد", "👩🏽‍💻", "naïve café", "Ω≈ç√"),
);
/** A name is one line: the line and paragraph separators that graphemes may hold become spaces. */
const line = (max: number) =>
  fc.array(word, { minLength: 1, maxLength: 8 }).map(
    (ws) =>
      ws
        .join(" ")
        .replace(/[\u2028\u2029]/g, " ")
        .slice(0, max)
        .trim() || "x",
  );
const multiline = (max: number) =>
  fc.array(fc.tuple(word, fc.constantFrom(" ", " ", "\n", "\t", "\r\n")), { maxLength: 10 }).map((ps) => ps.flat().join("").slice(0, max));
/** Digits are capped so that a generated text can never hold a card number. */
const fewDigits = (s: string) => (s.match(/\p{Nd}/gu)?.length ?? 0) < 8;

const validFields = (schema: Schema) => ({
  amount: fc.integer({ min: schema.properties?.amount?.minimum ?? 1, max: schema.properties?.amount?.maximum ?? 1e6 }),
  currency: fc.constantFrom(...currencies(schema)),
  payment_method: fc.constantFrom("pm_card_visa", "pm_card_mastercard", "pm_card_amex"),
  customer: fc.record(
    { email: fc.emailAddress().filter((e) => e.length <= 254 && fewDigits(e)), name: line(200).filter(fewDigits) },
    { requiredKeys: ["email"] },
  ),
  description: multiline(500).filter(fewDigits),
  metadata: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/), multiline(500).filter(fewDigits), { maxKeys: 20 }),
});

// --- hostile values ------------------------------------------------------------------------

const CONTROLS = ["\u0000", "\u0001", "\u0007", "\u0008", "\u000b", "\u000c", "\u001b", "\u001f", "\u007f", "\u0080", "\u0085", "\u009f", "\t", "\n", "\r"];
const BAD_UNITS = ["\ud800", "\udbff", "\udc00", "\udfff", "\ufffe", "\uffff", "\ufdd0", "\u{1fffe}", "\u{10ffff}", "\u2028", "\u202e", "\u200b", "\ufeff"];
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)); // lone surrogates included

/** Unusual but valid text: what must get all the way to the database and back unchanged. */
const UNUSUAL = [
  "\u05e9\u05dc\u05d5\u05dd \u202bRTL\u202c",
  "e\u0301\u0301\u0301",
  "\ufeffbom",
  "a\u200db",
  "\u{1f3f3}\ufe0f\u200d\u{1f308}",
  "\u{20000}\u{2a6d6}",
  "\\u0000",
  "'; DROP TABLE payments; --",
  '{"a":1}',
];

/** Something of the right type, but wrong in one way: a control, a lone surrogate, a bound. */
const nastyString = (valid: fc.Arbitrary<string>, max: number) =>
  fc.oneof(
    fc.constantFrom(...UNUSUAL),
    fc
      .tuple(valid, fc.constantFrom(...CONTROLS, ...BAD_UNITS), fc.nat())
      .map(([v, c, at]) => v.slice(0, at % (v.length + 1)) + c + v.slice(at % (v.length + 1))),
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.string({ unit: anyUnit, maxLength: 60 }),
    fc.constantFrom("", " ", "x".repeat(max), "x".repeat(max + 1), "é".repeat(max + 1), "💳".repeat(Math.ceil(max / 2) + 1)),
    fc.constantFrom(
      "4242 4242 4242 4242",
      "4242.4242.4242.4242",
      "card4242424242424242",
      "\uff14\uff12\uff14\uff12".repeat(4),
      "\u0664\u0662\u0664\u0662".repeat(4),
    ),
  );

/** Mailboxes that are wrong in one place (or right in an unusual one). */
const nastyEmail = fc.oneof(
  fc
    .emailAddress()
    .chain((e) =>
      fc.tuple(fc.constant(e), fc.constantFrom(...CONTROLS, ...BAD_UNITS, " ", "@", "(", '"', ",", "..", "☃", "ß", "ǅ", "١", "\uff0e", "-", "xn--"), fc.nat()),
    )
    .map(([e, c, at]) => e.slice(0, at % (e.length + 1)) + c + e.slice(at % (e.length + 1))),
  fc
    .tuple(
      fc.stringMatching(/^[a-z]{1,10}$/),
      fc.constantFrom(
        "bücher.de",
        "☃.net",
        "xn--a.com",
        "xn--bcher-kva.de",
        "exa_mple.com",
        "-a.com",
        "a-.com",
        "a..com",
        "a.com.",
        "a.c",
        "a.123",
        "[127.0.0.1]",
        "localhost",
        "ab--cd.com",
        "ﬁ.com",
        "ＥＸＡＭＰＬＥ.com",
        "例え.テスト",
        `${"x".repeat(64)}.com`,
        `${"a.".repeat(126)}com`,
      ),
    )
    .map(([l, d]) => `${l}@${d}`),
  fc.constantFrom(
    `${"a".repeat(65)}@example.com`,
    `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`,
    "@example.com",
    "a@",
    "a@@b.co",
    '"a b"@example.com',
  ),
);

const wrongType = fc.oneof(fc.anything({ maxDepth: 2 }), fc.constantFrom(null, -1, 0, 1.5, 2 ** 53, -(2 ** 63), Number.MAX_VALUE, [], {}, true));

type Body = Record<string, any>;
type Mutation = { path: string; apply: (b: Body) => void };

function mutations(schema: Schema): fc.Arbitrary<Mutation> {
  const v = validFields(schema);
  const set = (path: string, value: fc.Arbitrary<unknown>) =>
    value.map(
      (x): Mutation => ({
        path,
        apply: (b) => {
          const parts = path.split(".");
          const parent = parts.slice(0, -1).reduce((o, k) => (o[k] ??= {}), b);
          if (x === undefined) delete parent[parts.at(-1)!];
          else parent[parts.at(-1)!] = x;
        },
      }),
    );
  return fc.oneof(
    set("amount", fc.oneof(wrongType, fc.constantFrom(0, 100_000_000, 99_999_999, 1, undefined))),
    set("currency", fc.oneof(wrongType, nastyString(v.currency, 3), fc.constantFrom("usd", "XXX", undefined))),
    set("payment_method", fc.oneof(wrongType, nastyString(v.payment_method, 99), fc.constantFrom("pm_", `pm_${"a".repeat(96)}`, `pm_${"a".repeat(97)}`))),
    set("customer", fc.oneof(wrongType, fc.constant(undefined))),
    set(
      "customer.email",
      fc.oneof({ weight: 4, arbitrary: nastyEmail }, { weight: 1, arbitrary: wrongType }, { weight: 1, arbitrary: fc.constant(undefined) }),
    ),
    set("customer.name", fc.oneof({ weight: 4, arbitrary: nastyString(line(200), 200) }, { weight: 1, arbitrary: wrongType })),
    set("customer.phone", fc.constant("+1 555 0100")),
    set("description", fc.oneof({ weight: 4, arbitrary: nastyString(multiline(500), 500) }, { weight: 1, arbitrary: wrongType })),
    set("metadata", fc.oneof(wrongType, fc.constant(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"]))))),
    set("metadata.note", fc.oneof({ weight: 4, arbitrary: nastyString(multiline(500), 500) }, { weight: 1, arbitrary: wrongType })),
    fc
      .oneof(nastyString(fc.constant("key"), 40), fc.constantFrom("bad key", "k".repeat(41), "a/b", "ключ", "__proto__", "constructor"))
      .map((k): Mutation => ({ path: `metadata.${k}`, apply: (b) => void ((b.metadata ??= {})[k] = "v") })),
    // An own "__proto__" key too, as JSON.parse makes one.
    fc
      .constantFrom("capture", "card_number", "__proto__", "constructor")
      .map(
        (k): Mutation => ({ path: k, apply: (b) => void Object.defineProperty(b, k, { value: "x", enumerable: true, writable: true, configurable: true }) }),
      ),
  );
}

const validBody = (schema: Schema): fc.Arbitrary<Body> =>
  fc.record(validFields(schema), { requiredKeys: ["amount", "currency", "payment_method", "customer"] });

/** One valid body in five, the others valid except for one mutation. */
const createCase = (schema: Schema) =>
  fc.tuple(validBody(schema), fc.option(mutations(schema), { freq: 5, nil: undefined })).map(([body, mutation]) => {
    const b = structuredClone(body);
    mutation?.apply(b);
    return { body: b, mutation };
  });

// --- properties ----------------------------------------------------------------------------

async function expectWellBehaved(res: Response): Promise<{ status: number; json: any }> {
  const text = await res.text();
  expect(res.status).toBeLessThan(500);
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.status >= 400) {
    expect(typeof json?.error?.type).toBe("string");
    expect(typeof json?.error?.code).toBe("string");
    expect(typeof json?.error?.message).toBe("string");
  }
  return { status: res.status, json };
}

/** A rejection names the changed field as the client spelled it, something inside it, or what holds it. */
function related(param: string | undefined, path: string): boolean {
  if (param === undefined || param === "(body)") return true;
  return param === path || (param.startsWith(path) && /^[.[]/.test(param.slice(path.length))) || path.startsWith(`${param}.`);
}

const auth = { authorization: `Bearer ${DEV_MERCHANT_KEY}` };
const post = (body: string, headers: Record<string, string> = {}) =>
  publicFetch("/v1/payments", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", "idempotency-key": crypto.randomUUID(), ...headers },
    body,
  });

describe("bad input never produces a 5xx, and every rejection uses the error shape", () => {
  test(
    `create bodies valid except for one field (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(createCase(createSchema), async ({ body, mutation }) => {
          const { status, json } = await expectWellBehaved(await post(JSON.stringify(body)));
          if (!mutation) {
            expect({ status, error: json?.error }).toEqual({ status: 201, error: undefined });
          } else if (status === 400) {
            expect({ param: json.error.param, related: related(json.error.param, mutation.path) }).toEqual({ param: json.error.param, related: true });
          }
          if (status === 201) {
            // Whatever was accepted is stored as sent, and reads back from the database so.
            const read = await expectWellBehaved(await publicFetch(`/v1/payments/${json.id}`, { headers: auth }));
            expect(read.status).toBe(200);
            const sent = JSON.parse(JSON.stringify(body));
            const { amount, customer, description, metadata } = read.json;
            expect({ amount, customer, description, metadata }).toEqual({
              amount: sent.amount,
              customer: sent.customer,
              description: sent.description ?? null,
              metadata: sent.metadata ?? {},
            });
          }
        }),
        { numRuns: RUNS },
      );
    },
    timeoutFor(RUNS),
  );

  test(
    "malformed JSON and arbitrary bytes",
    async () => {
      const raw = fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.json().map((j) => j.slice(0, Math.max(1, j.length - 1))),
      );
      await fc.assert(
        fc.asyncProperty(raw, async (text) => void (await expectWellBehaved(await post(text)))),
        { numRuns: Math.max(100, RUNS / 10) },
      );
    },
    timeoutFor(RUNS / 10),
  );

  test(
    "wrong content types, idempotency keys and auth headers",
    async () => {
      const headers = fc.record(
        {
          "content-type": fc.constantFrom("text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=latin1", ""),
          "idempotency-key": fc.oneof(fc.string({ maxLength: 300 }), fc.constant("k".repeat(256))),
          authorization: fc.oneof(
            fc.constant(""),
            fc.constant("Bearer"),
            fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
            fc.constant("Basic Zm9vOmJhcg=="),
          ),
        },
        { requiredKeys: [] },
      );
      const validBody = JSON.stringify({ amount: 100, currency: "EUR", payment_method: "pm_card_visa", customer: { email: "a@b.co" } });
      await fc.assert(
        fc.asyncProperty(headers, async (h) => {
          const clean = Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
          await expectWellBehaved(await publicFetch("/v1/payments", { method: "POST", headers: clean, body: validBody }));
        }),
        { numRuns: Math.max(100, RUNS / 10) },
      );
    },
    timeoutFor(RUNS / 10),
  );

  test(
    "every documented operation with garbage path segments and query strings",
    async () => {
      const seg = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom("pay_", "pay_zz", "%00", "..", "pay_01a2263c47ff77bbba2e4a6fa9355fd2"));
      const query = fc.dictionary(fc.constantFrom("limit", "starting_after", "status", "x"), fc.string({ maxLength: 40 }), { maxKeys: 3 });
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...operations), seg, query, async (op, s, q) => {
          const path = op.path.replace("{id}", encodeURIComponent(s));
          const qs = new URLSearchParams(q).toString();
          const res = await publicFetch(`${path}${qs ? `?${qs}` : ""}`, { method: op.method, headers: { ...auth, "idempotency-key": crypto.randomUUID() } });
          await expectWellBehaved(res);
        }),
        { numRuns: Math.max(120, RUNS / 10) },
      );
    },
    timeoutFor(RUNS / 10),
  );
});
