/**
 * The public endpoint: a payment created through Caddy over HTTPS, with the certificate
 * verified against Caddy's local CA (never disabled), then read back through Caddy; the
 * operator endpoints, security headers and routing as a client sees them.
 * Needs the stack's API instances (api/main.ts) behind Caddy and the dev merchant key.
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { DEV_MERCHANT_KEY as devKey, DEV_OPS_KEY } from "../../infra/stack/components/index.ts";
import { caddyCaPath as caPath, endpoints as env, publicFetch } from "../setup/endpoints.ts";

test("create and read a payment through Caddy over verified HTTPS", async () => {
  expect(existsSync(caPath)).toBe(true);
  const tls = { ca: readFileSync(caPath, "utf8") };
  const headers = { authorization: `Bearer ${devKey}`, "content-type": "application/json" };
  const created = await fetch(`${env.PUBLIC_URL}/v1/payments`, {
    method: "POST",
    headers: { ...headers, "idempotency-key": crypto.randomUUID() },
    body: JSON.stringify({ amount: 4200, currency: "EUR", payment_method: "pm_card_visa", customer: { email: "caddy@example.com" } }),
    tls,
  } as RequestInit);
  expect(created.status).toBe(201);
  const payment = (await created.json()) as { id: string; status: string };
  expect(payment.status).toBe("PENDING");
  expect(created.headers.get("location")).toBe(`/v1/payments/${payment.id}`);
  const read = await fetch(`${env.PUBLIC_URL}/v1/payments/${payment.id}`, { headers, tls } as RequestInit);
  expect(read.status).toBe(200);
  expect(((await read.json()) as { id: string }).id).toBe(payment.id);
});

test("without Caddy's CA the certificate fails verification (unknown issuer); with it the same request succeeds", async () => {
  const url = `${env.PUBLIC_URL}/health/live`;
  // Caddy sends its leaf and intermediate; its root is in no system store, so the chain ends
  // at an issuer the client does not have. Any other failure (refused, reset) is not this check.
  const untrusted = await fetch(url).then(
    (res) => ({ connected: res.status }),
    (err: { code?: string }) => ({ code: err.code }),
  );
  expect(untrusted).toEqual({ code: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" });
  const trusted = await fetch(url, { tls: { ca: readFileSync(caPath, "utf8") } } as RequestInit);
  expect(trusted.status).toBe(200);
});

test("the operator endpoints are served through Caddy: 200 with the operator key, 401 without", async () => {
  const ok = await publicFetch("/ops/dead-letters?limit=1", { headers: { authorization: `Bearer ${DEV_OPS_KEY}` } });
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { data: unknown[] }).data).toBeArray();
  const no = await publicFetch("/ops/dead-letters?limit=1");
  expect(no.status).toBe(401);
  expect(((await no.json()) as { error: { type: string } }).error.type).toBe("authentication_error");
});

test("security headers on API answers and Caddy's own; no server banner; API JSON is not cached", async () => {
  const answers = [
    await publicFetch("/v1/payments?limit=1", { headers: { authorization: `Bearer ${devKey}` } }),
    await publicFetch("/v1/payments"), // 401 from the API
    await publicFetch("/no-such-route"), // Caddy's own 404
    await publicFetch("/health/live"),
    await publicFetch("/docs/openapi.json"),
  ];
  for (const res of answers) {
    await res.arrayBuffer();
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d{7,}/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("server")).toBeNull();
    expect(res.headers.get("via")).toBeNull();
  }
  for (const res of answers.slice(0, 4)) expect(res.headers.get("cache-control")).toBe("no-store");
});

test("/health/live through Caddy names the instance, never the machine", async () => {
  const body = (await (await publicFetch("/health/live")).json()) as { instance?: string };
  expect(body.instance).toMatch(/^api-\d+$/);
  expect(JSON.stringify(body)).not.toContain(hostname());
});

test("every path in the public OpenAPI document reaches the API through Caddy; /metrics does not", async () => {
  const doc = (await (await publicFetch("/docs/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
  expect(Object.keys(doc.paths)).not.toContain("/metrics");
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      // Unauthenticated and bodiless: the API answers (usually 401); only Caddy's catch-all says route_not_found.
      const res = await publicFetch(path.replace(/\{[^}]+\}/g, "1"), { method: method.toUpperCase() });
      const text = await res.text();
      expect({ path, method, caddyCatchAll: text.includes("route_not_found") }).toEqual({ path, method, caddyCatchAll: false });
    }
  }
  const metrics = await publicFetch("/metrics");
  expect(metrics.status).toBe(404);
  expect(await metrics.text()).toContain("route_not_found");
});
