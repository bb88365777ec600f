/**
 * URL rules and the DNS step, with a fake resolver: names that resolve to refused
 * addresses are refused however they are spelled, and nothing here touches the network.
 */
import { describe, expect, test } from "bun:test";
import { parseWebhookUrl, resolveDestination, type DestinationOptions, type Resolver } from "./destination.ts";

const zone: Record<string, string[]> = {
  "hooks.shop.example": ["93.184.216.34"],
  "dual.shop.example": ["93.184.216.34", "2606:4700:4700::1111"],
  "loopback.attacker.example": ["127.0.0.1"],
  "v6-loopback.attacker.example": ["::1"],
  "private.attacker.example": ["10.0.0.7"],
  "rfc1918-172.attacker.example": ["172.16.0.9"],
  "rfc1918-192.attacker.example": ["192.168.1.20"],
  "metadata.attacker.example": ["169.254.169.254"],
  "mapped.attacker.example": ["::ffff:127.0.0.1"],
  "mixed.attacker.example": ["93.184.216.34", "10.0.0.1"],
  localhost: ["127.0.0.1", "::1"],
};
const looked: string[] = [];
const fake: Resolver = async (host) => {
  looked.push(host);
  const addrs = zone[host];
  if (!addrs) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return addrs.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};
const production: DestinationOptions = { allowLoopback: false, resolver: fake };
const dev: DestinationOptions = { allowLoopback: true, resolver: fake };

const resolve = (raw: string, opts = production, devMode = false) => {
  const parsed = parseWebhookUrl(raw, { devMode });
  if (!parsed.ok) throw new Error(`unexpected URL refusal: ${parsed.reason}`);
  return resolveDestination(parsed.url, opts);
};

describe("parseWebhookUrl", () => {
  test("https is required outside dev mode", () => {
    expect(parseWebhookUrl("https://hooks.shop.example/payorch", { devMode: false }).ok).toBe(true);
    expect(parseWebhookUrl("http://hooks.shop.example/payorch", { devMode: false })).toEqual({ ok: false, reason: "must use https" });
    expect(parseWebhookUrl("http://127.0.0.1:9000/", { devMode: false }).ok).toBe(false);
    expect(parseWebhookUrl("ftp://hooks.shop.example/", { devMode: false }).ok).toBe(false);
  });

  test("dev mode allows plain http to loopback only", () => {
    for (const u of ["http://127.0.0.1:9000/hook", "http://[::1]:9000/", "http://localhost:9000/", "http://hooks.localhost/", "http://127.1.2.3/"]) {
      expect({ u, ok: parseWebhookUrl(u, { devMode: true }).ok }).toEqual({ u, ok: true });
    }
    expect(parseWebhookUrl("http://hooks.shop.example/", { devMode: true }).ok).toBe(false);
    expect(parseWebhookUrl("http://10.0.0.1/", { devMode: true }).ok).toBe(false);
  });

  test("credentials, fragments, relative and over-long URLs are refused", () => {
    expect(parseWebhookUrl("https://user:pw@hooks.shop.example/", { devMode: false }).ok).toBe(false);
    expect(parseWebhookUrl("https://hooks.shop.example/#x", { devMode: false }).ok).toBe(false);
    expect(parseWebhookUrl("https://hooks.shop.example/#", { devMode: false }).ok).toBe(false);
    expect(parseWebhookUrl("/hook", { devMode: false }).ok).toBe(false);
    expect(parseWebhookUrl(`https://hooks.shop.example/${"a".repeat(2048)}`, { devMode: false }).ok).toBe(false);
  });
});

describe("resolveDestination", () => {
  test("a public name resolves to the address to connect to", async () => {
    expect(await resolve("https://hooks.shop.example/payorch")).toEqual({ ok: true, address: "93.184.216.34", family: 4 });
    expect(await resolve("https://dual.shop.example/")).toEqual({ ok: true, address: "93.184.216.34", family: 4 });
  });

  test.each([
    ["https://loopback.attacker.example/", "loopback"],
    ["https://v6-loopback.attacker.example/", "loopback"],
    ["https://private.attacker.example/", "private"],
    ["https://rfc1918-172.attacker.example/", "private"],
    ["https://rfc1918-192.attacker.example/", "private"],
    ["https://metadata.attacker.example/latest/meta-data/", "cloud metadata"],
    ["https://mapped.attacker.example/", "loopback"],
    ["https://mixed.attacker.example/", "private"],
    ["https://localhost/", "loopback"],
  ])("%s is refused (%s)", async (raw, what) => {
    const d = await resolve(raw);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.kind).toBe("refused");
      expect(d.reason).toContain(what);
    }
  });

  test.each([
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://10.0.0.1/",
    "https://172.16.0.1/",
    "https://192.168.0.1/",
    "https://169.254.169.254/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://0x7f.1/", // the URL parser reads these IPv4 spellings as 127.0.0.1
    "https://2130706433/",
    "https://0177.0.0.1/",
  ])("IP literal %s is refused without a lookup", async (raw) => {
    looked.length = 0;
    const d = await resolve(raw);
    expect(d.ok).toBe(false);
    expect(looked).toEqual([]);
  });

  test("a name that does not resolve is a DNS failure, which may be retried", async () => {
    const d = await resolve("https://gone.shop.example/");
    expect(d).toEqual({ ok: false, kind: "dns", reason: "gone.shop.example did not resolve (ENOTFOUND)" });
  });

  test("dev mode allows loopback, and plain http only there", async () => {
    expect((await resolve("http://127.0.0.1:9000/", dev, true)).ok).toBe(true);
    expect((await resolve("http://localhost:9000/", dev, true)).ok).toBe(true);
    expect((await resolve("https://loopback.attacker.example/", dev, true)).ok).toBe(true);
    expect((await resolve("https://metadata.attacker.example/", dev, true)).ok).toBe(false);
    expect((await resolve("https://private.attacker.example/", dev, true)).ok).toBe(false);
  });

  test("plain http to a name that resolves off loopback is refused even in dev mode", async () => {
    zone["rebound.localhost"] = ["93.184.216.34"];
    const d = await resolve("http://rebound.localhost/", dev, true);
    expect(d.ok).toBe(false);
  });

  test("loopback-only refuses other names before any lookup", async () => {
    looked.length = 0;
    const d = await resolve("https://hooks.shop.example/", { ...dev, loopbackOnly: true }, true);
    expect(d.ok ? "" : d.reason).toContain("loopback only");
    expect(looked).toEqual([]);
    expect((await resolve("http://localhost:9000/", { ...dev, loopbackOnly: true }, true)).ok).toBe(true);
  });

  test("a resolver that hangs is abandoned", async () => {
    const hang: Resolver = () => new Promise(() => {});
    const parsed = parseWebhookUrl("https://slow.shop.example/", { devMode: false });
    if (!parsed.ok) throw new Error("bad url");
    const d = await resolveDestination(parsed.url, { allowLoopback: false, resolver: hang, lookupTimeoutMs: 20 });
    expect(d.ok ? "" : d.kind).toBe("dns");
  });
});
