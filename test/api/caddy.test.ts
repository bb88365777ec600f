/**
 * The public endpoint: a payment created through Caddy over HTTPS, with the certificate
 * verified against Caddy's local CA (never disabled), then read back through Caddy.
 * Needs the stack's API instances (api/main.ts) behind Caddy and the dev merchant key.
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { DEV_MERCHANT_KEY as devKey } from "../../infra/stack/components/index.ts";
import { caddyCaPath as caPath, endpoints as env } from "../setup/endpoints.ts";

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

test("an unverifiable certificate is refused (the check above is real)", async () => {
  // Without the local CA, the system trust store must reject Caddy's certificate.
  await expect(fetch(`${env.PUBLIC_URL}/health/live`)).rejects.toThrow();
});
