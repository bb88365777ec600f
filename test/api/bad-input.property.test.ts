/**
 * Property-based bad input against the API's own OpenAPI document, through
 * Caddy: generated bodies (valid, mutated, wrong types, huge and unicode
 * strings), malformed JSON, wrong content types, missing and wrong auth.
 * Properties: never a 5xx, and every rejection has the one error shape.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DEV_MERCHANT_KEY } from "../../infra/stack/components/index.ts";
import { publicFetch } from "../setup/endpoints.ts";

type Schema = { type?: string; properties?: Record<string, Schema>; required?: string[]; enum?: unknown[]; maxLength?: number; minimum?: number; maximum?: number };
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

/** Any JSON-ish value, biased towards the nasty: huge, unicode, deep, wrong types. */
const nasty = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ minLength: 5_000, maxLength: 20_000 }),
  fc.constantFrom(null, -1, 0, 1.5, 2 ** 53, -(2 ** 63), Number.MAX_VALUE, "", "pm_", "💳", "4242424242424242", "\u0000", [], {}),
);

/** A body derived from the schema: each property either valid-looking, dropped, or replaced by something nasty. */
function bodyFrom(schema: Schema): fc.Arbitrary<unknown> {
  const valid: Record<string, fc.Arbitrary<unknown>> = {
    amount: fc.integer({ min: schema.properties?.amount?.minimum ?? 1, max: schema.properties?.amount?.maximum ?? 1e6 }),
    currency: fc.constantFrom(...((schema.properties?.currency?.enum as string[]) ?? ["EUR"])),
    payment_method: fc.constantFrom("pm_card_visa", "pm_card_mastercard"),
    customer: fc.record({ email: fc.emailAddress(), name: fc.string({ maxLength: 50 }) }, { requiredKeys: ["email"] }),
    description: fc.string({ maxLength: 100 }),
    metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 5 }),
  };
  const fields = Object.keys(schema.properties ?? {});
  return fc
    .record(Object.fromEntries(fields.map((f) => [f, fc.oneof({ weight: 3, arbitrary: valid[f] ?? nasty }, { weight: 1, arbitrary: nasty })])), {
      requiredKeys: [],
    })
    .chain((b) => fc.oneof(fc.constant(b), fc.constant({ ...b, [`extra_${Object.keys(b).length}`]: "x" })));
}

async function expectWellBehaved(res: Response) {
  expect(res.status).toBeLessThan(500);
  if (res.status >= 400) {
    const body = (await res.json()) as { error?: { type?: unknown; code?: unknown; message?: unknown } };
    expect(typeof body.error?.type).toBe("string");
    expect(typeof body.error?.code).toBe("string");
    expect(typeof body.error?.message).toBe("string");
  } else {
    await res.arrayBuffer();
  }
}

const auth = { authorization: `Bearer ${DEV_MERCHANT_KEY}` };
const post = (body: string, headers: Record<string, string> = {}) =>
  publicFetch("/v1/payments", { method: "POST", headers: { ...auth, "content-type": "application/json", "idempotency-key": crypto.randomUUID(), ...headers }, body });

describe("bad input never produces a 5xx, and every rejection uses the error shape", () => {
  test("generated create bodies", async () => {
    await fc.assert(fc.asyncProperty(bodyFrom(createSchema), async (body) => expectWellBehaved(await post(JSON.stringify(body)))), { numRuns: 150 });
  }, 120_000);

  test("malformed JSON and arbitrary bytes", async () => {
    const raw = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }), fc.json().map((j) => j.slice(0, Math.max(1, j.length - 1))));
    await fc.assert(fc.asyncProperty(raw, async (text) => expectWellBehaved(await post(text))), { numRuns: 100 });
  }, 120_000);

  test("wrong content types, idempotency keys and auth headers", async () => {
    const headers = fc.record(
      {
        "content-type": fc.constantFrom("text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=latin1", ""),
        "idempotency-key": fc.oneof(fc.string({ maxLength: 300 }), fc.constant("k".repeat(256))),
        authorization: fc.oneof(fc.constant(""), fc.constant("Bearer"), fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`), fc.constant("Basic Zm9vOmJhcg==")),
      },
      { requiredKeys: [] },
    );
    const validBody = JSON.stringify({ amount: 100, currency: "EUR", payment_method: "pm_card_visa", customer: { email: "a@b.co" } });
    await fc.assert(
      fc.asyncProperty(headers, async (h) => {
        const clean = Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v)));
        await expectWellBehaved(await publicFetch("/v1/payments", { method: "POST", headers: clean, body: validBody }));
      }),
      { numRuns: 100 },
    );
  }, 120_000);

  test("every documented operation with garbage path segments and query strings", async () => {
    const seg = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom("pay_", "pay_zz", "%00", "..", "pay_01a2263c47ff77bbba2e4a6fa9355fd2"));
    const query = fc.dictionary(fc.constantFrom("limit", "starting_after", "status", "x"), fc.string({ maxLength: 40 }), { maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operations), seg, query, async (op, s, q) => {
        const path = op.path.replace("{id}", encodeURIComponent(s));
        const qs = new URLSearchParams(q).toString();
        const res = await publicFetch(`${path}${qs ? `?${qs}` : ""}`, { method: op.method, headers: { ...auth, "idempotency-key": crypto.randomUUID() } });
        await expectWellBehaved(res);
      }),
      { numRuns: 120 },
    );
  }, 120_000);
});
