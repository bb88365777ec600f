import { expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { DOCS_CSP, docsRoutes } from "./routes.ts";
import { resolveUiBundle } from "./ui-bundle.ts";

const app = new Elysia().use(docsRoutes()).post("/v1/things", () => "ok", { body: t.Object({ n: t.Integer() }), detail: { summary: "Create a thing" } });
const get = (path: string) => app.handle(new Request(`http://localhost${path}`));

test("the page loads its scripts from this origin only, under a CSP that allows no other", async () => {
  const res = await get("/docs");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(res.headers.get("content-security-policy")).toBe(DOCS_CSP);
  expect(DOCS_CSP).toContain("script-src 'self'");
  expect(DOCS_CSP).not.toMatch(/script-src[^;]*(unsafe|https?:|\*)/);
  const html = await res.text();
  expect(html).not.toMatch(/https?:\/\//);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBe(2);
  for (const [, attrs, body] of scripts) {
    expect(body?.trim()).toBe(""); // no inline script: the CSP would refuse it
    const src = attrs?.match(/src="([^"]+)"/)?.[1] ?? "";
    expect(src).toMatch(/^\/docs\/assets\//);
    const asset = await get(src);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("text/javascript");
  }
});

test("the UI bundle served is the pinned package's own file", async () => {
  const { path, version } = resolveUiBundle();
  const html = await (await get("/docs")).text();
  const src = html.match(/src="(\/docs\/assets\/api-reference\.js[^"]*)"/)?.[1] ?? "";
  expect(src).toContain(`v=${version}`);
  const served = new Uint8Array(await (await get(src)).arrayBuffer());
  expect(served).toEqual(new Uint8Array(await Bun.file(path).arrayBuffer()));
  const init = await (await get("/docs/assets/init.js")).text();
  expect(init).toContain('"url":"/docs/openapi.json"');
  expect(init).toContain('"withDefaultFonts":false');
});

test("the OpenAPI document covers the host app's routes and hides the docs' own", async () => {
  const doc = (await (await get("/docs/openapi.json")).json()) as { openapi: string; paths: Record<string, Record<string, { summary?: string }>> };
  expect(doc.openapi).toMatch(/^3\./);
  expect(doc.paths["/v1/things"]?.post?.summary).toBe("Create a thing");
  expect(Object.keys(doc.paths).filter((p) => p.startsWith("/docs"))).toEqual([]);
});
