/**
 * The OpenAPI document and Caddy's routing agree: every documented path is routed to the
 * API by caddy/Caddyfile, every API route in the Caddyfile has documented operations, and
 * nothing Caddy does not route (such as /metrics) is documented. Each operation lists the
 * error responses it can give, with the error schema.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createHarness, type Harness } from "./harness.ts";

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: any }> }>; requestBody?: unknown };
let h: Harness;
let doc: { paths: Record<string, Record<string, Operation>> };

/** The path matchers of the `handle` blocks that proxy to the API, from the Caddyfile itself. */
function caddyApiRoutes(): RegExp[] {
  const text = readFileSync(join(import.meta.dir, "../../caddy/Caddyfile"), "utf8");
  const routes: RegExp[] = [];
  const handle = /^\s*handle\s+(\/\S*)\s*\{([^}]*)\}/gm;
  for (const m of text.matchAll(handle)) {
    if (!m[2]!.includes("import api_upstreams")) continue;
    routes.push(new RegExp(`^${m[1]!.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`));
  }
  return routes;
}

const concrete = (path: string) => path.replace(/\{[^}]+\}/g, "123");

beforeAll(async () => {
  h = await createHarness();
  const res = await h.call("GET", "/docs/openapi.json", { key: null });
  expect(res.status).toBe(200);
  doc = res.json;
});
afterAll(() => h.close());

test("every documented path is one Caddy routes to the API, and /metrics is neither", () => {
  const routes = caddyApiRoutes();
  expect(routes.length).toBeGreaterThanOrEqual(4);
  const paths = Object.keys(doc.paths);
  const unrouted = paths.filter((p) => !routes.some((r) => r.test(concrete(p))));
  expect(unrouted).toEqual([]);
  expect(paths).not.toContain("/metrics");
  expect(routes.some((r) => r.test("/metrics"))).toBe(false);
  // The document and its page are served under a routed path too.
  expect(routes.some((r) => r.test("/docs/openapi.json")) && routes.some((r) => r.test("/docs"))).toBe(true);
});

test("every API route in the Caddyfile leads to documented operations", () => {
  const paths = Object.keys(doc.paths).map(concrete);
  for (const route of caddyApiRoutes()) {
    if (route.test("/docs")) continue; // the documentation itself
    expect({ route: route.source, documented: paths.some((p) => route.test(p)) }).toEqual({ route: route.source, documented: true });
  }
});

test("each /v1 and /ops operation documents its error responses with the error schema", () => {
  const missing: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (!path.startsWith("/v1/") && !path.startsWith("/ops/")) continue;
    for (const [method, op] of Object.entries(ops)) {
      const expected = ["400", "401", "429"];
      if (path.includes("{")) expected.push("404");
      if (op.requestBody) expected.push("413", "415");
      if (path === "/v1/payments" && method === "post") expected.push("409", "422");
      // Capture, cancel and refund: the state may forbid the command (409), and the key may be reused (422).
      if (/^\/v1\/(payments\/\{id\}\/(capture|cancel)|refunds)$/.test(path) && method === "post") expected.push("409", "422");
      if (path === "/v1/refunds" && method === "post") expected.push("404");
      if (path.startsWith("/ops/") && /replay|discard/.test(path) && path.includes("{")) expected.push("409");
      for (const status of expected) {
        const schema = op.responses?.[status]?.content?.["application/json"]?.schema;
        const ok = schema && JSON.stringify(schema).includes('"error"') && JSON.stringify(schema).includes('"code"');
        if (!ok) missing.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
  }
  expect(missing).toEqual([]);
  expect(Object.keys(doc.paths).some((p) => p.startsWith("/ops/"))).toBe(true);
});

test("every security requirement names a scheme the document defines", () => {
  const schemes = Object.keys((doc as { components?: { securitySchemes?: Record<string, unknown> } }).components?.securitySchemes ?? {});
  const used = new Set<string>();
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops) as { security?: Record<string, unknown>[] }[])
      for (const req of op.security ?? []) for (const k of Object.keys(req)) used.add(k);
  }
  expect([...used].filter((k) => !schemes.includes(k))).toEqual([]);
});
