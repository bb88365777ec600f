/**
 * The CLI's contract (cli.ts) over stand-ins: what it prints, the default day, and its exit
 * codes: 0 no mismatches, 1 mismatches, 2 bad usage or configuration, 3 a source that could
 * not be read.
 */
import { describe, expect, test } from "bun:test";
import { parseCsv } from "./csv.ts";
import { ReconcileError, type GatewayRecord, type ReconcileSources, type Window } from "./model.ts";
import { runCli } from "./cli.ts";
import { fakePaymentsTable, gatewayRecord as record, paymentRow } from "./testing.ts";

async function cli(argv: string[], opts: { records?: GatewayRecord[]; sources?: ReconcileSources; env?: Record<string, string> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const windows: Window[] = [];
  const sources = opts.sources ?? {
    stripe: (w: Window) => (windows.push(w), Promise.resolve({ records: opts.records ?? [record()], warnings: ["a warning"] })),
  };
  const code = await runCli(argv, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    sql: fakePaymentsTable([paymentRow()]).sql,
    sources,
    now: () => new Date("2024-05-04T08:00:00Z"),
    ...(opts.env ? { env: opts.env } : {}),
  });
  return { code, out: out.join(""), err: err.join("\n"), windows };
}

describe("reconcile CLI", () => {
  test("no mismatches: exit 0, the JSON report on stdout, warnings and a summary on stderr; yesterday by default", async () => {
    const r = await cli([]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ date: "2024-05-03", connectors: ["stripe"], summary: { mismatches: 0 }, warnings: ["a warning"] });
    expect(r.windows[0]!.from).toEqual(new Date("2024-05-01T00:00:00Z"));
    expect(r.err).toContain("warning: a warning");
    expect(r.err).toContain("reconcile 2024-05-03: 0 mismatch(es) (stripe 1 payments / 1 records)");
  });

  test("mismatches: exit 1; --format csv prints one line per mismatch under a header", async () => {
    const r = await cli(["--date", "2024-05-03", "--format", "csv"], { records: [record({ captured: 1500 })] });
    expect(r.code).toBe(1);
    const [header, ...rows] = parseCsv(r.out);
    expect(header![0]).toBe("kind");
    expect(rows.map((row) => [row[0], row[2]])).toEqual([["amount_mismatch", "pay_1"]]);
  });

  test.each([
    [["--date", "2024-13-01"], "--date must be a day as YYYY-MM-DD"],
    [["--format", "xml"], "--format must be json or csv"],
    [["--connector", "paypal"], "--connector must be one of stripe, adyen"],
    [["--connector", "adyen"], "adyen is not configured: set ADYEN_API_BASE or ADYEN_API_KEY"],
    [["--surprise"], "Unknown option '--surprise'"],
  ])("%j is bad usage: exit 2, nothing read", async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain("usage: bun run reconcile");
    expect(r.windows).toEqual([]);
  });

  test("bad configuration is exit 2 naming the variable, never a key", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli([], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      sql: fakePaymentsTable([]).sql,
      env: { STRIPE_API_BASE: "http://127.0.0.1:12111", STRIPE_SECRET_KEY: "sk_live_secret123" },
    });
    expect(code).toBe(2);
    expect(err.join("\n")).toContain("STRIPE_SECRET_KEY");
    expect(err.join("\n")).not.toContain("secret123");
  });

  test("--connector keeps only that connector", async () => {
    const adyen = () => Promise.reject(new Error("adyen must not be read"));
    const r = await cli(["--connector", "stripe"], { sources: { stripe: () => Promise.resolve({ records: [record()], warnings: [] }), adyen } });
    expect([r.code, JSON.parse(r.out).connectors]).toEqual([0, ["stripe"]]);
  });

  test("a source that cannot be read: exit 3 with its reason, no report", async () => {
    const r = await cli([], { sources: { stripe: () => Promise.reject(new ReconcileError("stripe: listing failed (StripeConnectionError)")) } });
    expect([r.code, r.out]).toEqual([3, ""]);
    expect(r.err).toContain("the reconciliation could not complete: stripe: listing failed (StripeConnectionError)");
  });
});
