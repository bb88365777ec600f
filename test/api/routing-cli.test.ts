/**
 * `bun run routing` against the API tests' database: show and set a merchant's routing,
 * with the API seeing what the CLI stored; bad arguments, files and rules exit 2 without
 * changing anything, an unknown merchant exits 1; the script itself runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../shared/routing/cli.ts";
import { createHarness, testDatabaseUrls, type Harness } from "./harness.ts";

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await createHarness();
  dir = mkdtempSync(join(tmpdir(), "routing-cli-"));
});
afterAll(() => h.close());

const rules = [
  { conditions: { currencies: ["EUR"], amount_max: 100_000 }, connectors: ["adyen", "stripe"] },
  {
    split: [
      { connector: "stripe", percent: 70 },
      { connector: "adyen", percent: 30 },
    ],
  },
];

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), sql: h.primary });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const routingOf = async (key: string) => (await h.call("GET", "/v1/routing", { key })).json;

describe("show and set", () => {
  test("set stores the file's rules; the API and show --json read them back", async () => {
    const m = h.merchantA.merchantId;
    const set = await cli("set", "--merchant", m, "--file", file("a.json", rules));
    expect(set).toMatchObject({ code: 0, err: "" });
    expect(set.out).toContain("2 rule(s), soft-decline failover off");
    expect(set.out).toContain("split stripe 70%, adyen 30%");
    expect(await routingOf(h.merchantA.apiKey)).toEqual({ object: "routing", rules, failover_soft_declines: false });

    const shown = await cli("show", "--merchant", m, "--json");
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out)).toEqual({ object: "routing", rules, failover_soft_declines: false });
    // show --json is a file set takes back.
    expect((await cli("set", "--merchant", m, "--file", file("round.json", shown.out))).code).toBe(0);
    expect(await routingOf(h.merchantA.apiKey)).toEqual({ object: "routing", rules, failover_soft_declines: false });
  });

  test("the option: --soft-declines wins, else the file's, else it stays as it is", async () => {
    const m = h.merchantB.merchantId;
    await cli("set", "--merchant", m, "--file", file("b.json", rules), "--soft-declines", "on");
    expect((await routingOf(h.merchantB.apiKey)).failover_soft_declines).toBe(true);
    await cli("set", "--merchant", m, "--file", file("b2.json", [rules[1]]));
    expect(await routingOf(h.merchantB.apiKey)).toEqual({ object: "routing", rules: [rules[1]], failover_soft_declines: true });
    await cli("set", "--merchant", m, "--file", file("b3.json", { rules: [], failover_soft_declines: false }));
    expect(await routingOf(h.merchantB.apiKey)).toEqual({ object: "routing", rules: [], failover_soft_declines: false });
    await cli("set", "--merchant", m, "--file", file("b4.json", { rules: [], failover_soft_declines: false }), "--soft-declines", "on");
    expect((await routingOf(h.merchantB.apiKey)).failover_soft_declines).toBe(true);
    const shown = await cli("show", "--merchant", m);
    expect(shown.out).toContain("0 rule(s), soft-decline failover on");
  });
});

describe("refusals change nothing", () => {
  const cases: [string, () => string[], number, string][] = [
    ["no command", () => [], 2, "usage"],
    ["an unknown command", () => ["delete", "--merchant", h.merchantA.merchantId], 2, "usage"],
    ["an unknown option", () => ["show", "--merchant", h.merchantA.merchantId, "--force"], 2, "usage"],
    ["no merchant", () => ["show"], 2, "--merchant"],
    ["a malformed merchant id", () => ["show", "--merchant", "acme"], 2, "--merchant"],
    ["set without a file", () => ["set", "--merchant", h.merchantA.merchantId], 2, "--file"],
    ["a bad --soft-declines", () => ["set", "--merchant", h.merchantA.merchantId, "--file", file("x.json", []), "--soft-declines", "yes"], 2, "on or off"],
    ["a missing file", () => ["set", "--merchant", h.merchantA.merchantId, "--file", join(dir, "nope.json")], 2, "cannot read"],
    ["a file that is not JSON", () => ["set", "--merchant", h.merchantA.merchantId, "--file", file("bad.json", "{rules:")], 2, "not valid JSON"],
    [
      "percents not summing to 100",
      () => [
        "set",
        "--merchant",
        h.merchantA.merchantId,
        "--file",
        file("sum.json", [
          rules[0],
          {
            split: [
              { connector: "stripe", percent: 50 },
              { connector: "adyen", percent: 20 },
            ],
          },
        ]),
      ],
      2,
      "rules.1.split: percents must sum to 100",
    ],
    [
      "an unknown connector",
      () => ["set", "--merchant", h.merchantA.merchantId, "--file", file("conn.json", [{ connectors: ["paypal"] }])],
      2,
      "rules.0.connectors.0: must be one of stripe, adyen",
    ],
    [
      "an unknown field in the document",
      () => ["set", "--merchant", h.merchantA.merchantId, "--file", file("doc.json", { rules: [], extra: 1 })],
      2,
      "unknown field",
    ],
    [
      "a non-boolean option in the file",
      () => ["set", "--merchant", h.merchantA.merchantId, "--file", file("flag.json", { rules: [], failover_soft_declines: "on" })],
      2,
      "failover_soft_declines",
    ],
    ["an unknown merchant (show)", () => ["show", "--merchant", "mer_doesnotexist"], 1, "no such merchant"],
    [
      "an unknown merchant (set)",
      () => ["set", "--merchant", "mer_doesnotexist", "--file", file("ok.json", rules), "--soft-declines", "off"],
      1,
      "no such merchant",
    ],
  ];
  for (const [name, argv, code, says] of cases) {
    test(name, async () => {
      const before = await routingOf(h.merchantA.apiKey);
      const r = await cli(...argv());
      expect(r.code).toBe(code);
      expect(r.err).toContain(says);
      expect(r.err).not.toContain("paypal");
      expect(await routingOf(h.merchantA.apiKey)).toEqual(before);
    });
  }
});

test("the package script runs the CLI", async () => {
  const proc = Bun.spawn(["bun", "run", "--silent", "routing", "show", "--merchant", h.merchantA.merchantId, "--json"], {
    env: { ...process.env, DATABASE_URL: testDatabaseUrls.primary },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  expect(code).toBe(0);
  expect(JSON.parse(stdout)).toEqual(await routingOf(h.merchantA.apiKey));
  const usage = Bun.spawn(["bun", "run", "--silent", "routing"], {
    env: { ...process.env, DATABASE_URL: testDatabaseUrls.primary },
    stderr: "pipe",
    stdout: "pipe",
  });
  expect(await usage.exited).toBe(2);
});
