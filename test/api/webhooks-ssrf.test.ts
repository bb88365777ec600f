/**
 * Outside dev mode (the production setting) an endpoint URL must be https and its host must
 * be, or resolve (system resolver) to, public addresses only. Nothing here sends a request:
 * the accepted URL is a public IP literal, so not even a DNS lookup leaves the machine, and
 * the refused names resolve through /etc/hosts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ config: { devMode: false } });
});
afterAll(() => h.close());

const create = (url: string) => h.call("POST", "/v1/webhook_endpoints", { body: { url, enabled_events: ["*"] } });

test.each([
  ["https://127.0.0.1/hooks", "url_not_allowed"],
  ["https://127.0.0.1:8443/hooks", "url_not_allowed"],
  ["https://[::1]/hooks", "url_not_allowed"],
  ["https://localhost/hooks", "url_not_allowed"], // a name that resolves to loopback
  ["https://10.0.0.5/", "url_not_allowed"],
  ["https://172.16.3.4/", "url_not_allowed"],
  ["https://192.168.1.1/", "url_not_allowed"],
  ["https://169.254.169.254/latest/meta-data/", "url_not_allowed"],
  ["https://[::ffff:127.0.0.1]/", "url_not_allowed"],
  ["https://[::ffff:a9fe:a9fe]/", "url_not_allowed"],
  ["https://[fd00:ec2::254]/", "url_not_allowed"],
  ["https://0x7f.1/", "url_not_allowed"],
  ["https://2130706433/", "url_not_allowed"],
  ["http://127.0.0.1:9000/hooks", "url_invalid"], // plain http is for dev mode's loopback only
  ["http://93.184.216.34/hooks", "url_invalid"],
])("%s is refused at creation (%s)", async (url, code) => {
  const res = await create(url);
  expect(res.status).toBe(400);
  expect(res.json.error).toMatchObject({ code, param: "url" });
  // The message says why, not what was sent.
  expect(res.json.error.message).not.toContain(url);
});

test("an https URL at a public address is accepted", async () => {
  const res = await create("https://93.184.216.34/payorch/hooks");
  expect(res.status).toBe(201);
});

test("changing the URL is checked the same way", async () => {
  const ep = (await create("https://93.184.216.34/payorch/hooks")).json;
  const res = await h.call("PATCH", `/v1/webhook_endpoints/${ep.id}`, { body: { url: "https://localhost:8443/" } });
  expect(res.status).toBe(400);
  expect(res.json.error).toMatchObject({ code: "url_not_allowed", param: "url" });
  expect((await h.call("GET", `/v1/webhook_endpoints/${ep.id}`)).json.url).toBe("https://93.184.216.34/payorch/hooks");
});
