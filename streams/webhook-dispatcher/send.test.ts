/**
 * One attempt against local servers (loopback only): the request goes to the address the
 * check resolved, whatever the name would resolve to later; a refused address gets no
 * request; TLS is verified (a self-signed certificate fails); no redirect is followed; a
 * silent server times out; the signature verifies with the endpoint's secrets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from "../../shared/merchant-events/signature.ts";
import type { Resolver } from "../../shared/net/destination.ts";
import { sendWebhook, type SendOptions } from "./send.ts";

type Seen = { host: string | null; signature: string | null; eventId: string | null; body: string };
const seen: Seen[] = [];
let answer: () => Response | Promise<Response> = () => new Response("ok");

const plain = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    seen.push({
      host: req.headers.get("host"),
      signature: req.headers.get(SIGNATURE_HEADER),
      eventId: req.headers.get(EVENT_ID_HEADER),
      body: await req.text(),
    });
    return answer();
  },
});

let tls: ReturnType<typeof Bun.serve> | undefined;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "webhook-tls-"));
  const made = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { encoding: "utf8" },
  );
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  tls = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") },
    fetch: () => new Response("ok"),
  });
});
afterAll(() => {
  plain.stop(true);
  tls?.stop(true);
});

const SECRET = "whsec_send_test_0123456789abcdefghijklmnop";
const webhook = (url: string) => ({
  url,
  eventId: "evt_0194c1a2b3c47d5e8f9a0b1c2d3e4f50",
  body: '{"id":"evt_0194c1a2b3c47d5e8f9a0b1c2d3e4f50","object":"event"}',
  secrets: [SECRET],
});

/** A resolver that says what the test wants, and counts its lookups. */
function resolverOf(zone: Record<string, string>): Resolver & { lookups: string[] } {
  const lookups: string[] = [];
  const r = (async (host: string) => {
    lookups.push(host);
    const address = zone[host];
    if (!address) throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
    return [{ address, family: address.includes(":") ? 6 : 4 }];
  }) as Resolver & { lookups: string[] };
  r.lookups = lookups;
  return r;
}

const dev = (resolver: Resolver, timeoutMs = 2_000): SendOptions => ({ policy: { allowLoopback: true }, resolver, timeoutMs });

describe("sendWebhook", () => {
  test("posts the signed body to the checked address, naming the URL's host", async () => {
    seen.length = 0;
    const resolver = resolverOf({ "hooks.shop.localhost": "127.0.0.1" });
    const r = await sendWebhook(webhook(`http://hooks.shop.localhost:${plain.port}/in?x=1`), dev(resolver));
    expect(r).toMatchObject({ outcome: "delivered", statusCode: 200 });
    expect(resolver.lookups).toEqual(["hooks.shop.localhost"]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.host).toBe(`hooks.shop.localhost:${plain.port}`);
    expect(seen[0]!.eventId).toBe(webhook("").eventId);
    expect(verifyWebhookSignature(seen[0]!.body, seen[0]!.signature, SECRET).ok).toBe(true);
  });

  test("a name that resolves to a refused address gets no request at all", async () => {
    seen.length = 0;
    const resolver = resolverOf({ "rebind.shop.localhost": "10.0.0.1" });
    const r = await sendWebhook(webhook(`http://rebind.shop.localhost:${plain.port}/`), dev(resolver));
    expect(r.outcome).toBe("refused");
    expect(seen).toHaveLength(0);
  });

  test("outside dev mode loopback itself is refused", async () => {
    seen.length = 0;
    const r = await sendWebhook(webhook(`https://127.0.0.1:${plain.port}/`), { ...dev(resolverOf({})), policy: { allowLoopback: false } });
    expect(r).toMatchObject({ outcome: "refused", error: "destination refused: 127.0.0.1 is a loopback address" });
    expect(seen).toHaveLength(0);
  });

  test("TLS is verified: a self-signed certificate fails the attempt", async () => {
    const r = await sendWebhook(webhook(`https://127.0.0.1:${tls!.port}/`), dev(resolverOf({})));
    expect(r.outcome).toBe("failed");
    expect((r as { error: string }).error).toMatch(/self[- ]signed|certificate/i);
  });

  test("non-2xx answers fail; a redirect is not followed", async () => {
    answer = () => new Response("", { status: 302, headers: { location: "http://169.254.169.254/" } });
    const r = await sendWebhook(webhook(`http://127.0.0.1:${plain.port}/`), dev(resolverOf({})));
    expect(r).toMatchObject({ outcome: "failed", statusCode: 302, error: "HTTP 302 (redirects are not followed)" });
    answer = () => new Response("nope", { status: 500 });
    expect(await sendWebhook(webhook(`http://127.0.0.1:${plain.port}/`), dev(resolverOf({})))).toMatchObject({
      outcome: "failed",
      statusCode: 500,
      error: "HTTP 500",
    });
    answer = () => new Response(null, { status: 204 });
    expect(await sendWebhook(webhook(`http://127.0.0.1:${plain.port}/`), dev(resolverOf({})))).toMatchObject({ outcome: "delivered", statusCode: 204 });
  });

  test("a server that does not answer in time fails with a timeout", async () => {
    answer = () => new Promise<Response>(() => {});
    const r = await sendWebhook(webhook(`http://127.0.0.1:${plain.port}/`), dev(resolverOf({}), 300));
    expect(r).toMatchObject({ outcome: "failed", statusCode: null, error: "no answer within 300 ms" });
    answer = () => new Response("ok");
  });

  test("a refused connection fails, to be retried", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = closed.port;
    closed.stop(true);
    const r = await sendWebhook(webhook(`http://127.0.0.1:${port}/`), dev(resolverOf({})));
    expect(r.outcome).toBe("failed");
    expect((r as { error: string }).error).toContain("ECONNREFUSED");
  });
});
