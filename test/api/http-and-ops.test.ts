/**
 * HTTP edges (bad JSON, 413, 415, error shape, 500 without internals, correlation ids)
 * and operations endpoints (health, metrics, OpenAPI).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { Elysia } from "elysia";
import { createLogger } from "../../api/observability/logger.ts";
import type { PaymentsService } from "../../api/payments/service.ts";
import { createDb } from "../../shared/db/client.ts";
import { buildApi } from "../../api/wiring.ts";
import { createHarness, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const json = { "content-type": "application/json" };

describe("request bodies", () => {
  test.each([["{"], ['{"amount": 10,}'], [""], ["nul"], ['{"amount":1}{"x":2}']])("malformed JSON %p -> 400", async (raw) => {
    const res = await h.call("POST", "/v1/payments", { raw, headers: json });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
  });

  test("invalid UTF-8 -> 400", async () => {
    const res = await h.call("POST", "/v1/payments", { raw: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: json });
    expect(res.status).toBe(400);
  });

  test("body over 16 KiB -> 413 (declared length)", async () => {
    const res = await h.create({ ...validBody(), description: "x".repeat(17 * 1024) });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe("payload_too_large");
  });

  test("body over 16 KiB without Content-Length (streamed) -> 413", async () => {
    const big = new TextEncoder().encode(JSON.stringify({ ...validBody(), description: "y".repeat(20 * 1024) }));
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < big.length; i += 1024) c.enqueue(big.slice(i, i + 1024));
        c.close();
      },
    });
    const res = await h.call("POST", "/v1/payments", { raw: stream, headers: json });
    expect(res.status).toBe(413);
  });

  test.each([["text/plain"], ["application/x-www-form-urlencoded"], ["application/jsonp"], [null]])("content type %p -> 415", async (type) => {
    const headers: Record<string, string> = type ? { "content-type": type } : {};
    const res = await h.call("POST", "/v1/payments", { raw: JSON.stringify(validBody()), headers });
    expect(res.status).toBe(415);
    expect(res.json.error.code).toBe("unsupported_media_type");
  });

  test("application/json with charset is accepted", async () => {
    const res = await h.call("POST", "/v1/payments", {
      raw: JSON.stringify(validBody()),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(res.status).toBe(201);
  });
});

describe("errors", () => {
  test("unknown route -> 404 in the error shape", async () => {
    const res = await h.call("GET", "/nope", { key: null });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: { type: "invalid_request_error", code: "resource_missing", message: expect.any(String) } });
  });

  test("an unexpected failure -> 500 without internals, logged with the request id", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", { write: (s: string) => void lines.push(s) } as never);
    const boom: PaymentsService = {
      create: async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.7:5432 password=hunter2");
      },
      get: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'rows')");
      },
      list: async () => ({ data: [], hasMore: false }),
      capture: async () => {
        throw new Error("unused");
      },
      cancel: async () => {
        throw new Error("unused");
      },
    };
    // The production wiring with only the payments service swapped for one that fails.
    const { handle, reads } = buildApi({
      primary: h.primary,
      replica: h.replica,
      logger,
      config: { bodyLimitBytes: 16384, createBatchMax: 1, dbPoolMax: 1, authCacheMs: 0 },
      payments: boom,
    });
    const auth = { authorization: `Bearer ${h.merchantA.apiKey}` };
    for (const req of [
      new Request("http://localhost/v1/payments", {
        method: "POST",
        headers: { ...json, ...auth, "idempotency-key": "k", "x-request-id": "req-500" },
        body: JSON.stringify(validBody()),
      }),
      new Request("http://localhost/v1/payments/pay_0123456789abcdef0123456789abcdef", { headers: auth }),
    ]) {
      const res = await handle(req, "127.0.0.1");
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text).error).toMatchObject({ type: "api_error", code: "internal_error" });
      expect(text).not.toMatch(/ECONNREFUSED|hunter2|rows|TypeError|stack/);
    }
    expect(lines.some((l) => l.includes("req-500") && l.includes("unhandled error"))).toBe(true);
    reads.stop();
  });

  test("a refused field is named as the client spelled it, not JSON-Pointer escaped", async () => {
    const res = await h.create({ ...validBody(), metadata: { "a/b~c": "v" } });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe("metadata.a/b~c");
  });

  test("every error response has type, code and message", async () => {
    const responses = await Promise.all([
      h.call("GET", "/v1/payments", { key: null }),
      h.call("POST", "/v1/payments", { raw: "{", headers: json }),
      h.create({ ...validBody(), amount: 0 }),
      h.call("GET", "/v1/payments/pay_0123456789abcdef0123456789abcdef"),
    ]);
    for (const r of responses) {
      expect(Object.keys(r.json)).toEqual(["error"]);
      expect(typeof r.json.error.type).toBe("string");
      expect(typeof r.json.error.code).toBe("string");
      expect(typeof r.json.error.message).toBe("string");
    }
  });
});

describe("correlation id", () => {
  test("an incoming X-Request-Id is returned and lands in the outbox headers", async () => {
    const res = await h.create(validBody(), { headers: { "x-request-id": "corr-abc-123" } });
    expect(res.headers.get("x-request-id")).toBe("corr-abc-123");
    const rows = await h.primary`SELECT headers FROM outbox WHERE key = ${res.json.id}`;
    expect(rows[0]!.headers).toEqual({ "x-correlation-id": "corr-abc-123" });
  });

  test("one is generated when absent or unsafe", async () => {
    const a = await h.call("GET", "/health/live");
    expect(a.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const b = await h.call("GET", "/health/live", { headers: { "x-request-id": "bad id with spaces" } });
    expect(b.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("operations endpoints", () => {
  test("/health/live is 200; /health/ready is 200 when Postgres answers", async () => {
    expect((await h.call("GET", "/health/live", { key: null })).status).toBe(200);
    expect((await h.call("GET", "/health/ready", { key: null })).json).toEqual({ status: "ok" });
  });

  test("/health/live names the instance by SERVICE_NAME, or not at all: never the machine's host name", async () => {
    const anonymous = await h.call("GET", "/health/live", { key: null });
    expect(anonymous.json).toEqual({ status: "ok" });
    expect(anonymous.text).not.toContain(hostname());
    const named = await createHarness({ config: { serviceName: "api-7" } });
    try {
      expect((await named.call("GET", "/health/live", { key: null })).json).toEqual({ status: "ok", instance: "api-7" });
    } finally {
      await named.close();
    }
  });

  test("/health/ready is 503 when Postgres does not answer, and while shutting down", async () => {
    const dead = createDb({ url: "postgres://payments@127.0.0.1:1/payments", max: 1, connectTimeout: 1 });
    try {
      const { app } = buildApi({
        primary: dead,
        replica: dead,
        logger: createLogger("silent"),
        config: { bodyLimitBytes: 16384, createBatchMax: 1, dbPoolMax: 1, authCacheMs: 0 },
      });
      expect((await app.handle(new Request("http://localhost/health/ready"))).status).toBe(503);
    } finally {
      await dead.end({ timeout: 1 });
    }
    h.api.readiness.shuttingDown = true;
    try {
      expect((await h.call("GET", "/health/ready", { key: null })).status).toBe(503);
    } finally {
      h.api.readiness.shuttingDown = false;
    }
  });

  test("/metrics exposes request counts and latency histograms by route and status", async () => {
    await h.create();
    await h.call("GET", "/v1/payments/pay_0123456789abcdef0123456789abcdef");
    const res = await h.call("GET", "/metrics", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(res.text).toMatch(/http_requests_total\{method="POST",route="\/v1\/payments",status="201"\} \d+/);
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/v1\/payments\/:id",status="404"\} \d+/);
    expect(res.text).toMatch(/http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/v1\/payments",status="201"\} \d+/);
  });

  test("OpenAPI 3 document is generated from the request schemas, with a docs page", async () => {
    const res = await h.call("GET", "/docs/openapi.json", { key: null });
    expect(res.status).toBe(200);
    expect(res.json.openapi).toMatch(/^3\./);
    const post = res.json.paths["/v1/payments"].post;
    const schema = post.requestBody.content["application/json"].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(["amount", "currency", "payment_method", "customer"]));
    expect(schema.properties.amount).toMatchObject({ type: "integer", minimum: 1 });
    expect(res.json.paths["/v1/payments/{id}"].get).toBeDefined();
    const page = await h.call("GET", "/docs", { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
  });
});

test("Elysia is the web framework in use (guards against an accidental swap of the app type)", () => {
  expect(h.api.app).toBeInstanceOf(Elysia);
});
