/** Token buckets and client addresses on a virtual clock: no stack, no sleeps. */
import { describe, expect, test } from "bun:test";
import { RateLimitError } from "../../shared/http-errors.ts";
import { clientKey, createClientAddress, normaliseIp, setPeerAddress } from "./client-address.ts";
import { createRateLimits } from "./rate-limit.ts";
import { createTokenBuckets } from "./token-bucket.ts";

describe("token buckets", () => {
  test("a full bucket allows its burst, then refills at the rate; Retry-After is the wait for one token", () => {
    let t = 0;
    const b = createTokenBuckets({ perSecond: 2, burst: 3, now: () => t });
    expect([b.take("k"), b.take("k"), b.take("k")].every((a) => a.allowed)).toBe(true);
    expect(b.take("k")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(b.take("other").allowed).toBe(true);
    t += 499;
    expect(b.peek("k").allowed).toBe(false);
    t += 1;
    expect(b.take("k").allowed).toBe(true);
    expect(b.take("k").allowed).toBe(false);
    t += 60_000;
    // Refill stops at the burst.
    expect([b.take("k"), b.take("k"), b.take("k"), b.take("k")].map((a) => a.allowed)).toEqual([true, true, true, false]);
  });

  test("slow refill: Retry-After counts whole seconds until the next token", () => {
    let t = 0;
    const b = createTokenBuckets({ perSecond: 0.5, burst: 1, now: () => t }); // 30 a minute
    b.take("k");
    expect(b.peek("k")).toEqual({ allowed: false, retryAfterSeconds: 2 });
    t += 1_500;
    expect(b.peek("k")).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  test("memory is bounded: refilled buckets go first, then the least recently used", () => {
    let t = 0;
    const b = createTokenBuckets({ perSecond: 1, burst: 2, now: () => t, maxKeys: 100 });
    for (let i = 0; i < 100; i++) b.take(`a${i}`);
    expect(b.size).toBe(100);
    t += 10_000; // all refilled: the same as absent
    b.take("new");
    expect(b.size).toBe(1);
    for (let i = 0; i < 150; i++) b.take(`b${i}`);
    expect(b.size).toBeLessThanOrEqual(100);
  });
});

describe("client address", () => {
  const req = (peer: string | undefined, xff?: string) => {
    const r = new Request("http://localhost/v1/payments", { headers: xff ? { "x-forwarded-for": xff } : {} });
    setPeerAddress(r, peer);
    return r;
  };
  const client = createClientAddress(["127.0.0.1", "::1"]);

  test("X-Forwarded-For only from a trusted proxy, read from the right", () => {
    expect(client(req("127.0.0.1", "198.51.100.7"))).toBe("198.51.100.7");
    expect(client(req("::ffff:127.0.0.1", "198.51.100.7"))).toBe("198.51.100.7");
    expect(client(req("127.0.0.1", "6.6.6.6, 198.51.100.7"))).toBe("198.51.100.7");
    expect(client(req("127.0.0.1", "198.51.100.7, 127.0.0.1"))).toBe("198.51.100.7");
    expect(client(req("127.0.0.1"))).toBe("127.0.0.1");
    expect(client(req("127.0.0.1", "not-an-ip"))).toBe("127.0.0.1");
    expect(client(req("203.0.113.9", "198.51.100.7"))).toBe("203.0.113.9");
    expect(client(req(undefined, "198.51.100.7"))).toBe("unknown");
  });

  test("IPv6 clients are keyed by their /64", () => {
    expect(clientKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("203.0.113.9")).toBe("203.0.113.9");
    expect(normaliseIp("[2001:DB8::1]")).toBe("2001:db8::1");
    expect(normaliseIp("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(normaliseIp("999.1.1.1")).toBeUndefined();
  });
});

describe("the API's limits", () => {
  const cfg = { merchantRatePerSecond: 1, merchantRateBurst: 2, authFailuresPerMinute: 60, authFailureBurst: 2, trustedProxies: ["127.0.0.1"] };

  test("per key: 429 rate_limit_exceeded with the wait; counted by limit", () => {
    const limited: string[] = [];
    const limits = createRateLimits(cfg, { now: () => 0, onLimited: (l) => limited.push(l) });
    limits.admitKey("Bearer a");
    limits.admitKey("Bearer a");
    let err: unknown;
    try {
      limits.admitKey("Bearer a");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).toBody().error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded" });
    expect((err as RateLimitError).retryAfterSeconds).toBe(1);
    expect(() => limits.admitKey("Bearer b")).not.toThrow();
    expect(limited).toEqual(["merchant_key"]);
  });

  test("per address: failures spend tokens; an empty bucket refuses before authentication", () => {
    let t = 0;
    const limits = createRateLimits(cfg, { now: () => t });
    const from = (peer: string) => {
      const r = new Request("http://localhost/v1/payments");
      setPeerAddress(r, peer);
      return r;
    };
    expect(() => limits.admitClient(from("192.0.2.1"))).not.toThrow();
    limits.authFailed(from("192.0.2.1"));
    limits.authFailed(from("192.0.2.1"));
    expect(() => limits.admitClient(from("192.0.2.1"))).toThrow(RateLimitError);
    expect(() => limits.admitClient(from("192.0.2.2"))).not.toThrow();
    t += 1_000;
    expect(() => limits.admitClient(from("192.0.2.1"))).not.toThrow();
  });
});
