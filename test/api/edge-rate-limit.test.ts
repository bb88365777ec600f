/**
 * Rate limits (api/http/rate-limit.ts) on the app main.ts runs, with small limits passed
 * through buildApi's config: a token bucket per merchant API key, and one per client
 * address for failed authentication, which answers 429 before any database query.
 * Limits are per instance.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDb, type Sql } from "../../shared/db/client.ts";
import { createHarness, testDatabaseUrls, type Harness } from "./harness.ts";

const UNKNOWN_KEY = "sk_thisisnotarealkeythisisnotarealkey00";

/** Waits (with a deadline) until `probe` answers something other than 429. */
async function until429Ends(probe: () => Promise<{ status: number }>, deadlineMs = 10_000): Promise<number> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const { status } = await probe();
    if (status !== 429) return status;
    if (Date.now() > until) throw new Error("still rate limited at the deadline");
    await Bun.sleep(50);
  }
}

function expectRateLimited(res: { status: number; headers: Headers; json: any }, code: string) {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  expect(res.json).toEqual({ error: { type: "rate_limit_error", code, message: expect.any(String) } });
}

describe("per merchant API key", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ config: { merchantRatePerSecond: 1, merchantRateBurst: 3 } });
  });
  afterAll(() => h.close());

  test("a burst above the bucket gets 429 with Retry-After in the error shape; other keys are unaffected", async () => {
    const path = "/v1/payments?limit=1";
    const results = await Promise.all(Array.from({ length: 8 }, () => h.call("GET", path)));
    expect(results.filter((r) => r.status === 200).length).toBe(3);
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBe(5);
    for (const r of limited) expectRateLimited(r, "rate_limit_exceeded");
    // Merchant B has a bucket of its own.
    expect((await h.call("GET", path, { key: h.merchantB.apiKey })).status).toBe(200);
    // Creates count too, and a limited create stores nothing under its key.
    const idem = `rl-${crypto.randomUUID()}`;
    expectRateLimited(await h.create(undefined, { idem }), "rate_limit_exceeded");
    const stored = await h.primary`SELECT 1 FROM idempotency_keys WHERE key = ${idem}`;
    expect(stored.length).toBe(0);
    // The bucket refills at the configured rate.
    expect(await until429Ends(() => h.call("GET", path))).toBe(200);
  });
});

describe("failed authentication per client address", () => {
  let h: Harness;
  let queries = 0;
  let primary: Sql;
  beforeAll(async () => {
    // Counts every statement the app sends to the primary: a limited request must send none.
    const real = createDb({ url: testDatabaseUrls.primary, max: 10, applicationName: "api-tests-rl" });
    primary = new Proxy(real, {
      apply(target, self, args) {
        queries++;
        return Reflect.apply(target as unknown as (...a: unknown[]) => unknown, self, args);
      },
    });
    h = await createHarness({
      primary,
      config: { authFailuresPerMinute: 60, authFailureBurst: 3, authCacheMs: 0 },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  test("after the burst of failures an address gets 429 before any database query, even with a valid key", async () => {
    const peer = "203.0.113.7";
    for (let i = 0; i < 3; i++) expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer })).status).toBe(401);
    const before = queries;
    expectRateLimited(await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer }), "too_many_failed_authentications");
    expectRateLimited(await h.call("GET", "/v1/payments", { peer }), "too_many_failed_authentications");
    expectRateLimited(await h.call("GET", "/ops/dead-letters", { key: UNKNOWN_KEY, peer }), "too_many_failed_authentications");
    expect(queries).toBe(before);
    // Another client is not affected, and the limit ends once the bucket refills (1 a second here).
    expect((await h.call("GET", "/v1/payments?limit=1", { peer: "203.0.113.8" })).status).toBe(200);
    expect(await until429Ends(() => h.call("GET", "/v1/payments?limit=1", { peer }))).toBe(200);
  });

  test("X-Forwarded-For counts only from a trusted proxy (Caddy on loopback)", async () => {
    // Behind the trusted proxy, each forwarded client has its own bucket.
    for (let i = 0; i < 3; i++) {
      expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer: "127.0.0.1", headers: { "x-forwarded-for": "198.51.100.20" } })).status).toBe(401);
    }
    expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer: "127.0.0.1", headers: { "x-forwarded-for": "198.51.100.20" } })).status).toBe(429);
    expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer: "127.0.0.1", headers: { "x-forwarded-for": "198.51.100.21" } })).status).toBe(401);
    // A client talking to the API directly cannot escape its bucket by inventing the header.
    const direct = "192.0.2.44";
    for (let i = 0; i < 3; i++) {
      expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer: direct, headers: { "x-forwarded-for": `10.0.0.${i}` } })).status).toBe(401);
    }
    expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer: direct, headers: { "x-forwarded-for": "10.0.0.99" } })).status).toBe(429);
  });

  test("IPv6 clients share a bucket per /64, so rotating addresses inside one network does not help", async () => {
    for (let i = 1; i <= 3; i++) expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer: `2001:db8:1:2::${i}` })).status).toBe(401);
    expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer: "2001:db8:1:2:ffff::9" })).status).toBe(429);
    expect((await h.call("GET", "/v1/payments", { key: UNKNOWN_KEY, peer: "2001:db8:1:3::1" })).status).toBe(401);
  });

  test("failed operator authentication counts against the address as well", async () => {
    const peer = "203.0.113.99";
    for (let i = 0; i < 3; i++) expect((await h.call("GET", "/ops/dead-letters", { key: "ops_wrong_key_0123456789abcdef", peer })).status).toBe(401);
    expect((await h.call("GET", "/v1/payments", { peer })).status).toBe(429);
  });
});
