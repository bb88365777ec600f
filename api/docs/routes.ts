/**
 * /docs: the OpenAPI document (generated from the route schemas by @elysiajs/openapi,
 * whose own page is switched off because it loads its UI from a public CDN) and an API
 * reference page whose every script is served from here (see ui-bundle.ts).
 */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { resolveUiBundle } from "./ui-bundle.ts";

export const DOCS_PATH = "/docs";
export const SPEC_PATH = "/docs/openapi.json";
const BUNDLE_PATH = "/docs/assets/api-reference.js";
const INIT_PATH = "/docs/assets/init.js";

const documentation = {
  info: {
    title: "Payments API",
    version: "1.0.0",
    description: "Create and read payments. Authenticate with `Authorization: Bearer <key>`.",
  },
  components: { securitySchemes: { bearer: { type: "http" as const, scheme: "bearer" } } },
  security: [{ bearer: [] }],
};

/**
 * Scripts only from this origin, and no inline script: the page's one line of set-up is
 * the init file. Styles may be inline because the bundle injects its CSS at run time (a
 * style cannot run code). connect-src 'self' keeps the "try it" client on this API.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Everything that would reach outside is off: default fonts (a font CDN), telemetry, the
 * hosted AI agent, the developer toolbar (links to hosted services).
 */
const uiConfig = {
  url: SPEC_PATH,
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  showDeveloperTools: "never",
  hideClientButton: false,
};

const page = (version: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${documentation.info.title}</title>
  </head>
  <body>
    <noscript>The API reference needs JavaScript; the OpenAPI document is at <a href="${SPEC_PATH}">${SPEC_PATH}</a>.</noscript>
    <div id="api-reference-app"></div>
    <script src="${BUNDLE_PATH}?v=${version}"></script>
    <script src="${INIT_PATH}?v=${version}"></script>
  </body>
</html>
`;

const initScript = `Scalar.createApiReference("#api-reference-app", ${JSON.stringify(uiConfig)});\n`;

export function docsRoutes() {
  const bundle = resolveUiBundle();
  const html = page(bundle.version);
  const common = { "x-content-type-options": "nosniff" };
  // The asset URLs carry the package version, so a cached copy never outlives an upgrade.
  const asset = { ...common, "cache-control": "public, max-age=86400" };
  const hidden = { detail: { hide: true } };
  return new Elysia({ name: "docs" })
    .use(openapi({ path: DOCS_PATH, specPath: SPEC_PATH, provider: null, documentation }))
    .get(
      DOCS_PATH,
      () =>
        new Response(html, {
          headers: { ...common, "content-type": "text/html; charset=utf-8", "content-security-policy": DOCS_CSP, "cache-control": "no-cache" },
        }),
      hidden,
    )
    .get(BUNDLE_PATH, () => new Response(Bun.file(bundle.path), { headers: { ...asset, "content-type": "text/javascript; charset=utf-8" } }), hidden)
    .get(INIT_PATH, () => new Response(initScript, { headers: { ...asset, "content-type": "text/javascript; charset=utf-8" } }), hidden);
}
