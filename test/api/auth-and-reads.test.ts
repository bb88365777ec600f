/**
 * Authentication, merchant isolation, reads by id and cursor-paginated lists, and
 * read-after-write through the replica.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "../setup/wait.ts";
import { createHarness, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe("authentication", () => {
  const cases: [string, Record<string, string>][] = [
    ["no Authorization header", {}],
    ["unknown key", { authorization: "Bearer sk_thisisnotarealkeythisisnotarealkey00" }],
    ["wrong scheme", { authorization: "Basic dXNlcjpwYXNz" }],
    ["empty bearer", { authorization: "Bearer " }],
  ];
  test.each(cases)("%s -> 401 on every /v1 route", async (_name, headers) => {
    for (const [method, path] of [
      ["POST", "/v1/payments"],
      ["GET", "/v1/payments"],
      ["GET", "/v1/payments/pay_0"],
      ["GET", "/v1/nope"],
    ] as const) {
      const res = await h.call(method, path, { key: null, headers, body: method === "POST" ? validBody() : undefined });
      expect(res.status).toBe(401);
      expect(res.json.error.type).toBe("authentication_error");
    }
  });

  test("401 comes before body checks: an unauthenticated malformed body is still 401", async () => {
    const res = await h.call("POST", "/v1/payments", { key: null, raw: "{oops", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(401);
  });

  test("the API key is stored only as a hash", async () => {
    const rows = await h.primary`SELECT key_hash, key_prefix FROM api_keys WHERE merchant_id = ${h.merchantA.merchantId}`;
    expect(rows.length).toBe(1);
    const dump = JSON.stringify(rows) + Buffer.from(rows[0]!.key_hash).toString("utf8");
    expect(dump).not.toContain(h.merchantA.apiKey);
    expect(h.merchantA.apiKey.length).toBeGreaterThanOrEqual(40);
  });
});

describe("isolation", () => {
  test("another merchant's payment is a 404, in reads and lists", async () => {
    const mine = await h.create();
    const other = await h.call("GET", `/v1/payments/${mine.json.id}`, { key: h.merchantB.apiKey });
    expect(other.status).toBe(404);
    expect(other.text).not.toContain("jane@example.com");
    const list = await h.call("GET", "/v1/payments?limit=100", { key: h.merchantB.apiKey });
    expect(list.json.data.map((p: any) => p.id)).not.toContain(mine.json.id);
  });
});

describe("GET /v1/payments/{id}", () => {
  test("returns what the merchant sees, right after the create (read-after-write)", async () => {
    for (let i = 0; i < 10; i++) {
      const created = await h.create();
      const got = await h.call("GET", `/v1/payments/${created.json.id}`);
      expect(got.status).toBe(200);
      expect(got.json).toEqual(created.json);
    }
  });

  test("unknown and malformed ids -> 404 without echoing the id", async () => {
    const missing = await h.call("GET", "/v1/payments/pay_0123456789abcdef0123456789abcdef");
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("resource_missing");
    const weird = await h.call("GET", "/v1/payments/4242424242424242");
    expect(weird.status).toBe(404);
    expect(weird.text).not.toContain("4242424242424242");
  });

  test("a denied payment shows its decline code; a stuck pending one its last error", async () => {
    const denied = await h.create();
    await h.primary`UPDATE payments SET status = 'DENIED', decline_code = 'insufficient_funds', gateway_ref = 'pi_1',
                    decided_at = now(), updated_at = now() WHERE id = ${denied.json.id}`;
    const stuck = await h.create();
    await h.primary`UPDATE payments SET last_error = 'gateway timeout; parked in DLQ' WHERE id = ${stuck.json.id}`;
    // Reads come from the replica, which shows the update once it has replayed it.
    await waitForReplica(h, denied.json.id, "DENIED");
    await eventually(
      `the replica to show ${stuck.json.id}'s last error`,
      async () => {
        const r = await h.replica`SELECT last_error FROM payments WHERE id = ${stuck.json.id}`;
        return Boolean(r[0]?.last_error);
      },
      5_000,
      20,
    );
    const d = await h.call("GET", `/v1/payments/${denied.json.id}`);
    const s = await h.call("GET", `/v1/payments/${stuck.json.id}`);
    expect(d.json).toMatchObject({ status: "DENIED", decline_code: "insufficient_funds" });
    expect(d.json.decided_at).not.toBeNull();
    expect(s.json).toMatchObject({ status: "PENDING", last_error: "gateway timeout; parked in DLQ" });
  });
});

describe("replica read-after-write", () => {
  test("with replication paused, a fresh payment is still readable (primary fallback)", async () => {
    const inRecovery = (await h.replica`SELECT pg_is_in_recovery() AS r`)[0]!.r as boolean;
    expect(inRecovery).toBe(true); // DATABASE_READ_URL must be a real streaming replica
    await h.replica`SELECT pg_wal_replay_pause()`;
    try {
      const created = await h.create();
      const onReplica = await h.replica`SELECT 1 FROM payments WHERE id = ${created.json.id}`;
      expect(onReplica.length).toBe(0); // the replica really does lag
      const got = await h.call("GET", `/v1/payments/${created.json.id}`);
      expect(got.status).toBe(200);
      expect(got.json.id).toBe(created.json.id);
    } finally {
      await h.replica`SELECT pg_wal_replay_resume()`;
    }
  });
});

describe("GET /v1/payments", () => {
  test("cursor pagination walks every payment newest first, without gaps or repeats", async () => {
    const h2 = await createHarness();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await h2.create()).json.id);
      await waitForReplica(h2, ids[ids.length - 1]!);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = await h2.call("GET", `/v1/payments?limit=3${cursor ? `&starting_after=${cursor}` : ""}`);
        expect(res.status).toBe(200);
        expect(res.json.object).toBe("list");
        seen.push(...res.json.data.map((p: any) => p.id));
        if (!res.json.has_more) break;
        cursor = res.json.data[res.json.data.length - 1].id;
      }
      expect(seen).toEqual([...ids].reverse());
    } finally {
      await h2.close();
    }
  });

  test("status filter returns only payments in that status", async () => {
    // Rows written straight to the table, without an outbox row, so no running payment
    // worker can move the PENDING one on while the test reads.
    const h2 = await createHarness();
    try {
      const ids = { APPROVED: "", DENIED: "", PENDING: "" };
      for (const status of ["APPROVED", "DENIED", "PENDING"] as const) {
        const id = `pay_${crypto.randomUUID().replaceAll("-", "")}`;
        const decided = status === "PENDING" ? null : new Date();
        await h2.primary`
          INSERT INTO payments (id, merchant_id, status, amount, currency, payment_method, customer_email,
                                decline_code, gateway_ref, created_at, updated_at, decided_at)
          VALUES (${id}, ${h2.merchantA.merchantId}, ${status}, 1000, 'EUR', 'pm_card_visa', 'jane@example.com',
                  ${status === "DENIED" ? "generic_decline" : null}, ${status === "PENDING" ? null : "pi_x"},
                  now(), now(), ${decided})`;
        ids[status] = id;
      }
      await waitForReplica(h2, ids.PENDING);
      for (const status of ["APPROVED", "DENIED", "PENDING"] as const) {
        const res = await h2.call("GET", `/v1/payments?status=${status}`);
        expect(res.status).toBe(200);
        expect(res.json.data.map((p: any) => [p.id, p.status])).toEqual([[ids[status], status]]);
      }
    } finally {
      await h2.close();
    }
  });

  test.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=abc", "limit"],
    ["status=LOST", "status"],
    ["starting_after=nope", "starting_after"],
    ["sort=asc", "sort"],
  ])("?%s -> 400 naming %s", async (qs, param) => {
    const res = await h.call("GET", `/v1/payments?${qs}`);
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe(param);
  });
});

function waitForReplica(hh: Harness, id: string, status?: string): Promise<boolean> {
  return eventually(
    `the replica to show ${id}${status ? ` as ${status}` : ""}`,
    async () => {
      const rows = await hh.replica`SELECT status FROM payments WHERE id = ${id}`;
      return rows.length > 0 && (!status || rows[0]!.status === status);
    },
    5_000,
    20,
  );
}
