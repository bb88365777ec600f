/**
 * GET /ops/reconciliation (reconciliation.ts) through app.handle, over stand-ins for the
 * payments table and the connectors, with the app's own error rendering (api/http/errors.ts):
 * the operator key first, then the query, the report as JSON or CSV, and a connector that
 * cannot be read. Mounted on the API, it is tested through test/api's harness.
 */
import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { ReconcileError, type GatewayRecord, type ReconcileSources } from "../../shared/reconcile/model.ts";
import { loadReconcileSources } from "../../shared/reconcile/sources.ts";
import { fakePaymentsTable, gatewayRecord as record, paymentRow } from "../../shared/reconcile/testing.ts";
import { toApiError } from "../http/errors.ts";
import { createLogger } from "../observability/logger.ts";
import { reconciliationRoutes } from "./reconciliation.ts";

const KEY = "ops_test_key_0123456789abcdefghijklmnop";
function app(opts: { sources?: ReconcileSources | (() => ReconcileSources); opsApiKey?: string | undefined } = {}) {
  const refused: string[] = [];
  const sources = opts.sources ?? { stripe: () => Promise.resolve({ records: [record({ captured: 1500 })], warnings: [] }) };
  const logger = createLogger("silent");
  const a = new Elysia({ normalize: false })
    .onError(({ code, error }) => {
      const e = toApiError(code, error, logger);
      return new Response(JSON.stringify(e.toBody()), { status: e.status, headers: { "content-type": "application/json" } });
    })
    .use(
      reconciliationRoutes({
        sql: fakePaymentsTable([paymentRow()]).sql,
        sources,
        opsApiKey: "opsApiKey" in opts ? opts.opsApiKey : KEY,
        onUnauthorized: (r) => refused.push(new URL(r.url).pathname),
        now: () => new Date("2024-05-04T09:00:00Z"),
      }),
    );
  const get = (query = "", key: string | null = KEY) =>
    a.handle(new Request(`http://localhost/ops/reconciliation${query}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }));
  return { get, refused };
}

const body = async (res: Response) => (await res.json()) as any;

describe("GET /ops/reconciliation", () => {
  test("the operator key is checked before anything else: 401, counted as a failed authentication", async () => {
    const { get, refused } = app();
    for (const key of [null, "sk_test_merchant_key"]) {
      const res = await get("?date=nonsense", key);
      expect([res.status, res.headers.get("www-authenticate")]).toEqual([401, 'Bearer realm="ops"']);
      expect((await body(res)).error.code).toBe("invalid_api_key");
    }
    expect(refused).toEqual(["/ops/reconciliation", "/ops/reconciliation"]);
    expect((await app({ opsApiKey: undefined }).get("", KEY)).status).toBe(401);
  });

  test("the report as JSON, yesterday by default", async () => {
    const res = await app().get();
    expect(res.status).toBe(200);
    const report = await body(res);
    expect(report).toMatchObject({ date: "2024-05-03", connectors: ["stripe"], summary: { mismatches: 1, by_kind: { amount_mismatch: 1 } } });
    expect(report.mismatches[0]).toMatchObject({ kind: "amount_mismatch", payment_id: "pay_1", platform: { captured: 2000 }, gateway: { captured: 1500 } });
  });

  test("format=csv answers text/csv: a header line and one line per mismatch", async () => {
    const res = await app().get("?date=2024-05-03&format=csv");
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/csv; charset=utf-8"]);
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines[0]!.startsWith("kind,connector,payment_id,gateway_ref,")).toBe(true);
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(["amount_mismatch"]);
  });

  test.each([
    ["?date=03-05-2024", "parameter_invalid", "date"],
    ["?date=2024-02-30", "parameter_invalid", "date"],
    ["?format=xml", "parameter_invalid", "format"],
    ["?connector=adyen", "parameter_invalid", "connector"],
    ["?surprise=1", "parameter_unknown", "surprise"],
  ])("%s is a 400 naming %s %s", async (query, code, param) => {
    const res = await app().get(query);
    expect(res.status).toBe(400);
    expect((await body(res)).error).toMatchObject({ code, param });
  });

  test("connector settings are loaded per request: missing ones are a 503 naming the variable, never a key", async () => {
    const res = await app({ sources: () => loadReconcileSources({ STRIPE_SECRET_KEY: "sk_live_secret123" }) }).get("?date=2024-05-03");
    expect(res.status).toBe(503);
    const { error } = await body(res);
    expect(error).toMatchObject({ code: "reconciliation_not_configured" });
    expect(error.message).toContain("STRIPE_SECRET_KEY");
    expect(error.message).not.toContain("secret123");
    expect((await app({ sources: {} }).get("?date=2024-05-03")).status).toBe(503);
  });

  test("a connector that cannot be read is a 502 saying which and why", async () => {
    const res = await app({ sources: { stripe: () => Promise.reject(new ReconcileError("stripe: listing failed (StripeConnectionError)")) } }).get(
      "?date=2024-05-03",
    );
    expect(res.status).toBe(502);
    expect((await body(res)).error).toMatchObject({ code: "reconciliation_source_failed", message: "stripe: listing failed (StripeConnectionError)" });
  });
});
