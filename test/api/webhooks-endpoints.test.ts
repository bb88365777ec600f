/**
 * /v1/webhook_endpoints in dev mode (local receivers on loopback http are allowed): create
 * with the secret shown once, read, list, update, disable and resume, rotate, delete; every
 * field refused by name; another merchant's endpoint is a 404; the secret is never logged.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMerchant } from "../../api/merchants/repo.ts";
import { createHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ config: { devMode: true } });
});
afterAll(() => h.close());

const body = (over: Record<string, unknown> = {}) => ({ url: "http://127.0.0.1:9/hooks", enabled_events: ["payment.approved", "payment.denied"], ...over });
const create = (over: Record<string, unknown> = {}, key?: string) => h.call("POST", "/v1/webhook_endpoints", { body: body(over), ...(key ? { key } : {}) });

describe("create and read", () => {
  test("201 with the signing secret, which no read shows again", async () => {
    const res = await create({ description: "Order system" });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      object: "webhook_endpoint",
      url: "http://127.0.0.1:9/hooks",
      enabled_events: ["payment.approved", "payment.denied"],
      enabled: true,
      disabled_reason: null,
      description: "Order system",
      previous_secret_expires_at: null,
    });
    expect(res.json.id).toMatch(/^we_[0-9a-f]{32}$/);
    expect(res.json.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const got = await h.call("GET", `/v1/webhook_endpoints/${res.json.id}`);
    expect(got.status).toBe(200);
    expect(got.json.secret).toBeUndefined();
    expect(got.text).not.toContain(res.json.secret);
    const list = await h.call("GET", "/v1/webhook_endpoints?limit=100");
    expect(list.json.data.map((e: { id: string }) => e.id)).toContain(res.json.id);
    expect(list.text).not.toContain(res.json.secret);
    expect(h.logLines.join("")).not.toContain(res.json.secret);
  });

  test('"*" subscribes to everything and is stored alone', async () => {
    const res = await create({ enabled_events: ["payment.approved", "*"] });
    expect(res.status).toBe(201);
    expect(res.json.enabled_events).toEqual(["*"]);
  });

  test("a URL is stored normalised: localhost names, IPv6 loopback", async () => {
    expect((await create({ url: "HTTP://LOCALHOST:9/X" })).json.url).toBe("http://localhost:9/X");
    expect((await create({ url: "http://[::1]:9/" })).status).toBe(201);
  });

  test("list pages newest first with starting_after", async () => {
    const m = await createMerchant(h.primary, "Pager");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({}, m.apiKey)).json.id);
    const first = await h.call("GET", "/v1/webhook_endpoints?limit=2", { key: m.apiKey });
    expect(first.json.data.map((e: { id: string }) => e.id)).toEqual([ids[4], ids[3]]);
    expect(first.json.has_more).toBe(true);
    const rest = await h.call("GET", `/v1/webhook_endpoints?limit=10&starting_after=${ids[3]}`, { key: m.apiKey });
    expect(rest.json.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rest.json.has_more).toBe(false);
  });
});

describe("refused input names the field", () => {
  test.each([
    ["missing url", { url: undefined }, "url", "parameter_missing"],
    ["a relative url", { url: "/hooks" }, "url", "url_invalid"],
    ["http to a public host, even in dev mode", { url: "http://hooks.shop.example/" }, "url", "url_invalid"],
    ["credentials in the url", { url: "https://user:secret@hooks.shop.example/" }, "url", "url_invalid"],
    ["a private IP literal, even in dev mode", { url: "https://10.1.2.3/" }, "url", "url_not_allowed"],
    ["the metadata address, even in dev mode", { url: "http://169.254.169.254/latest/" }, "url", "url_invalid"],
    ["no event types", { enabled_events: [] }, "enabled_events", "parameter_invalid"],
    ["an unknown event type", { enabled_events: ["payment.exploded"] }, "enabled_events.0", "parameter_invalid"],
    ["a repeated type", { enabled_events: ["payment.approved", "payment.approved"] }, "enabled_events", "parameter_invalid"],
    ["an unknown field", { secret: "whsec_mine" }, "secret", "parameter_unknown"],
    ["a non-boolean enabled", { enabled: "yes" }, "enabled", "parameter_invalid"],
  ])("%s", async (_name, over, param, code) => {
    const res = await create(over);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ type: "invalid_request_error", code, param });
    expect(res.json.error.message).not.toContain("secret@");
  });

  test("JSON only: another content type is 415", async () => {
    const res = await h.call("POST", "/v1/webhook_endpoints", { raw: "url=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(415);
  });

  test("an empty PATCH is 400", async () => {
    const ep = (await create()).json;
    const res = await h.call("PATCH", `/v1/webhook_endpoints/${ep.id}`, { body: {} });
    expect(res.status).toBe(400);
  });
});

describe("update, rotate, delete", () => {
  test("PATCH changes what it names and keeps the rest", async () => {
    const ep = (await create({ description: "before" })).json;
    const res = await h.call("PATCH", `/v1/webhook_endpoints/${ep.id}`, { body: { enabled_events: ["refund.succeeded"], description: null } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: ep.id, url: ep.url, enabled_events: ["refund.succeeded"], description: null, enabled: true });
    expect(Date.parse(res.json.updated_at)).toBeGreaterThanOrEqual(Date.parse(ep.updated_at));
  });

  test("disabling says the merchant did it; enabling clears it and resumes waiting deliveries", async () => {
    const ep = (await create()).json;
    const off = await h.call("PATCH", `/v1/webhook_endpoints/${ep.id}`, { body: { enabled: false } });
    expect(off.json).toMatchObject({ enabled: false, disabled_reason: "merchant" });
    // As the dispatcher leaves an endpoint it disabled for failing: its deliveries wait.
    await h.primary`UPDATE webhook_endpoints SET disabled_reason = 'failing', failing_since = now() - interval '6 days' WHERE id = ${ep.id}`;
    const on = await h.call("PATCH", `/v1/webhook_endpoints/${ep.id}`, { body: { enabled: true } });
    expect(on.json).toMatchObject({ enabled: true, disabled_reason: null });
    const [row] = await h.primary`SELECT failing_since FROM webhook_endpoints WHERE id = ${ep.id}`;
    expect(row!.failing_since).toBeNull();
  });

  test("rotation returns a new secret once; the old one stays valid for 24 hours", async () => {
    const ep = (await create()).json;
    const before = Date.now();
    const res = await h.call("POST", `/v1/webhook_endpoints/${ep.id}/rotate_secret`);
    expect(res.status).toBe(200);
    expect(res.json.secret).toMatch(/^whsec_/);
    expect(res.json.secret).not.toBe(ep.secret);
    const expires = Date.parse(res.json.previous_secret_expires_at);
    expect(expires - before).toBeGreaterThan(23.9 * 3_600_000);
    expect(expires - before).toBeLessThan(24.1 * 3_600_000);
    const valid = await h.primary<{ secret: string }[]>`
      SELECT secret FROM webhook_endpoint_secrets WHERE endpoint_id = ${ep.id} AND (expires_at IS NULL OR expires_at > now()) ORDER BY id DESC`;
    expect(valid.map((s) => s.secret)).toEqual([res.json.secret, ep.secret]);
    expect(h.logLines.join("")).not.toContain(res.json.secret);
    expect((await h.call("GET", `/v1/webhook_endpoints/${ep.id}`)).json.previous_secret_expires_at).toBe(res.json.previous_secret_expires_at);
  });

  test("DELETE: gone for the merchant, its secrets erased, its row kept for the delivery log", async () => {
    const ep = (await create()).json;
    const res = await h.call("DELETE", `/v1/webhook_endpoints/${ep.id}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: ep.id, object: "webhook_endpoint", deleted: true });
    expect((await h.call("GET", `/v1/webhook_endpoints/${ep.id}`)).status).toBe(404);
    expect((await h.call("DELETE", `/v1/webhook_endpoints/${ep.id}`)).status).toBe(404);
    expect((await h.primary`SELECT 1 FROM webhook_endpoint_secrets WHERE endpoint_id = ${ep.id}`).length).toBe(0);
    expect((await h.primary`SELECT 1 FROM webhook_endpoints WHERE id = ${ep.id} AND deleted_at IS NOT NULL`).length).toBe(1);
  });

  test("at most 16 live endpoints per merchant; deleting one makes room", async () => {
    const m = await createMerchant(h.primary, "Many endpoints");
    const made = await Promise.all(Array.from({ length: 16 }, () => create({}, m.apiKey)));
    expect(made.map((r) => r.status)).toEqual(Array(16).fill(201));
    const over = await create({}, m.apiKey);
    expect(over.status).toBe(400);
    expect(over.json.error.code).toBe("webhook_endpoint_limit");
    await h.call("DELETE", `/v1/webhook_endpoints/${made[0]!.json.id}`, { key: m.apiKey });
    expect((await create({}, m.apiKey)).status).toBe(201);
  });
});

describe("isolation", () => {
  test("another merchant's endpoint is a 404 to every operation, and absent from its list", async () => {
    const ep = (await create()).json;
    const key = h.merchantB.apiKey;
    expect((await h.call("GET", `/v1/webhook_endpoints/${ep.id}`, { key })).status).toBe(404);
    expect((await h.call("PATCH", `/v1/webhook_endpoints/${ep.id}`, { key, body: { enabled: false } })).status).toBe(404);
    expect((await h.call("POST", `/v1/webhook_endpoints/${ep.id}/rotate_secret`, { key })).status).toBe(404);
    expect((await h.call("DELETE", `/v1/webhook_endpoints/${ep.id}`, { key })).status).toBe(404);
    const list = await h.call("GET", "/v1/webhook_endpoints?limit=100", { key });
    expect(list.json.data.map((e: { id: string }) => e.id)).not.toContain(ep.id);
    expect((await h.call("GET", `/v1/webhook_endpoints/${ep.id}`)).json.enabled).toBe(true);
  });

  test("a malformed id is a plain 404", async () => {
    const res = await h.call("GET", "/v1/webhook_endpoints/we_nope");
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: "resource_missing", param: "id" });
  });
});
