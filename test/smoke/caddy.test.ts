import { expect, test } from "bun:test";
import { caddyCaPath, endpoints, publicFetch } from "../setup/endpoints.ts";

test("Caddy serves HTTPS with a certificate that verifies against its local root CA", async () => {
  const res = await publicFetch("/health/live");
  expect(res.status).toBe(200);
  // Without the CA the same request must fail certificate verification (an issuer the system
  // store does not have), not merely fail: nothing here trusts blindly.
  const untrusted = await fetch(`${endpoints.PUBLIC_URL}/health/live`).then(
    (r) => ({ connected: r.status }),
    (e: { code?: string }) => ({ code: e.code }),
  );
  expect(untrusted).toEqual({ code: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY" });
  expect(caddyCaPath).toMatch(/root\.crt$/);
});

test("plain HTTP is redirected to HTTPS", async () => {
  const res = await fetch(`http://localhost:${endpoints.HTTP_PORT}/health/live`, { redirect: "manual" });
  expect([301, 302, 308]).toContain(res.status);
  expect(res.headers.get("location")).toStartWith(`https://localhost:${endpoints.HTTPS_PORT}/`);
  // No server banner on the redirect either.
  expect(res.headers.get("server")).toBeNull();
});

test("the load balancer spreads requests over every API instance", async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const body = (await (await publicFetch("/health/live")).json()) as { instance: string };
    seen.add(body.instance);
  }
  expect(seen.size).toBe(endpoints.API_PORTS.length);
});
