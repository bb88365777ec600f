/**
 * Idempotency-Key semantics (IETF draft, Stripe as reference): required, bounded, scoped
 * per merchant, replayed, mismatch 422, in-flight 409, exactly-once under concurrency,
 * failures not stored, no key locked forever, purge after the TTL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDb } from "../../shared/db/client.ts";
import { Topics } from "../../shared/topics.ts";
import { idempotencyLockId } from "../../api/idempotency/fingerprint.ts";
import { purgeExpiredIdempotencyKeys } from "../../api/idempotency/purge.ts";
import { createLogger } from "../../api/observability/logger.ts";
import { buildApi } from "../../api/wiring.ts";
import { eventually } from "../setup/wait.ts";
import { createHarness, testDatabaseUrls, validBody, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const key = () => `idem-${crypto.randomUUID()}`;

async function paymentsForKey(merchantId: string, k: string) {
  const rows = await h.primary<{ payment_id: string }[]>`
    SELECT payment_id FROM idempotency_keys WHERE merchant_id = ${merchantId} AND key = ${k}`;
  if (rows.length === 0) return { keys: 0, payments: 0, outbox: 0 };
  const id = rows[0]!.payment_id;
  const p = await h.primary`SELECT count(*)::int AS n FROM payments WHERE id = ${id}`;
  // Only the create's row: the stack's payment worker adds a PaymentResult row with the same key.
  const o = await h.primary`SELECT count(*)::int AS n FROM outbox WHERE key = ${id} AND topic = ${Topics.paymentsCreated}`;
  return { keys: rows.length, payments: p[0]!.n as number, outbox: o[0]!.n as number };
}

describe("Idempotency-Key header", () => {
  test("missing -> 400 naming the header, nothing created", async () => {
    const before = await h.primary`SELECT count(*)::int AS n FROM payments WHERE merchant_id = ${h.merchantA.merchantId}`;
    const res = await h.create(validBody(), { idem: null });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe("Idempotency-Key");
    const after = await h.primary`SELECT count(*)::int AS n FROM payments WHERE merchant_id = ${h.merchantA.merchantId}`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  test("255 characters is accepted, 256 is a 400", async () => {
    expect((await h.create(validBody(), { idem: "k".repeat(255) })).status).toBe(201);
    const res = await h.create(validBody(), { idem: "k".repeat(256) });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe("Idempotency-Key");
  });
});

describe("replay and mismatch", () => {
  test("same key + same body -> stored status and body again, Idempotent-Replayed: true", async () => {
    const k = key();
    const first = await h.create(validBody(), { idem: k });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const second = await h.create(validBody(), { idem: k });
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.text).toBe(first.text);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(await paymentsForKey(h.merchantA.merchantId, k)).toEqual({ keys: 1, payments: 1, outbox: 1 });
  });

  test("the replay is the original response even after the payment changed", async () => {
    const k = key();
    const first = await h.create(validBody(), { idem: k });
    await h.primary`UPDATE payments SET status = 'APPROVED', decided_at = now() WHERE id = ${first.json.id}`;
    const again = await h.create(validBody(), { idem: k });
    expect(again.json.status).toBe("PENDING");
    expect(again.text).toBe(first.text);
  });

  test("key order and whitespace do not make a different body", async () => {
    const k = key();
    const b = validBody();
    await h.create(b, { idem: k });
    const reordered = JSON.stringify(
      { metadata: b.metadata, customer: b.customer, amount: b.amount, currency: b.currency, payment_method: b.payment_method, description: b.description },
      null,
      2,
    );
    const res = await h.call("POST", "/v1/payments", { raw: reordered, headers: { "content-type": "application/json", "idempotency-key": k } });
    expect(res.status).toBe(201);
    expect(res.headers.get("idempotent-replayed")).toBe("true");
  });

  test("same key + different body -> 422, nothing new stored", async () => {
    const k = key();
    await h.create(validBody(), { idem: k });
    const res = await h.create({ ...validBody(), amount: 2000 }, { idem: k });
    expect(res.status).toBe(422);
    expect(res.json.error).toMatchObject({ type: "idempotency_error", code: "idempotency_key_reused" });
    expect(await paymentsForKey(h.merchantA.merchantId, k)).toEqual({ keys: 1, payments: 1, outbox: 1 });
  });

  test("keys are scoped per merchant", async () => {
    const k = key();
    const a = await h.create(validBody(), { idem: k });
    const b = await h.create({ ...validBody(), amount: 5 }, { idem: k, key: h.merchantB.apiKey });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(b.json.id).not.toBe(a.json.id);
  });
});

describe("failures are not stored under the key", () => {
  test("a validation failure leaves the key free", async () => {
    const k = key();
    expect((await h.create({ ...validBody(), amount: -1 }, { idem: k })).status).toBe(400);
    const ok = await h.create(validBody(), { idem: k });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });

  test("an auth failure leaves the key free", async () => {
    const k = key();
    expect((await h.create(validBody(), { idem: k, key: "sk_wrongwrongwrongwrongwrongwrong" })).status).toBe(401);
    const ok = await h.create(validBody(), { idem: k });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
  });
});

describe("in flight", () => {
  test("while another transaction holds the key -> 409; after it ends -> 201", async () => {
    const k = key();
    const holder = createDb({ url: testDatabaseUrls.primary, max: 1 });
    try {
      const lockId = idempotencyLockId(h.merchantA.merchantId, k);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const tx = holder
        .begin(async (sql) => {
          await sql`SELECT pg_advisory_xact_lock(${lockId})`;
          locked();
          await released;
          throw new Error("rollback");
        })
        .catch(() => {});
      await isLocked;
      const busy = await h.create(validBody(), { idem: k });
      expect(busy.status).toBe(409);
      expect(busy.json.error.code).toBe("idempotency_key_in_use");
      release();
      await tx;
      const ok = await h.create(validBody(), { idem: k });
      expect(ok.status).toBe(201);
      expect(ok.headers.get("idempotent-replayed")).toBeNull();
    } finally {
      await holder.end({ timeout: 5 });
    }
  });

  test("a process that crashes mid-transaction never leaves the key locked", async () => {
    const k = key();
    const lockId = idempotencyLockId(h.merchantA.merchantId, k);
    // A separate process takes the key's lock inside a transaction, then is SIGKILLed.
    const script = `
      import postgres from "postgres";
      const sql = postgres(process.env.DATABASE_URL, { max: 1 });
      await sql.begin(async (tx) => {
        await tx\`SELECT pg_advisory_xact_lock(\${process.env.LOCK_ID}::bigint)\`;
        console.log("locked");
        await new Promise(() => {});
      });`;
    const child = Bun.spawn([process.execPath, "-e", script], {
      cwd: `${import.meta.dir}/../..`,
      env: { ...process.env, DATABASE_URL: testDatabaseUrls.primary, LOCK_ID: lockId },
      stdout: "pipe",
    });
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain("locked");
    expect((await h.create(validBody(), { idem: k })).status).toBe(409);
    child.kill("SIGKILL");
    await child.exited;
    // Postgres notices the dead client and rolls its transaction back.
    const status = await eventually(
      "the key no longer in use",
      async () => {
        const s = (await h.create(validBody(), { idem: k })).status;
        return s === 409 ? undefined : s;
      },
      5_000,
      100,
    );
    expect(status).toBe(201);
  });

  async function fifty(apps: { handle: (r: Request) => Promise<Response> }[], merchantKey: string) {
    const k = key();
    const body = JSON.stringify(validBody());
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await apps[i % apps.length]!.handle(
          new Request("http://localhost/v1/payments", {
            method: "POST",
            headers: { authorization: `Bearer ${merchantKey}`, "content-type": "application/json", "idempotency-key": k },
            body,
          }),
        );
        return { status: res.status, replayed: res.headers.get("idempotent-replayed"), json: (await res.json()) as any };
      }),
    );
    return { k, results };
  }

  function expectExactlyOnce(results: { status: number; replayed: string | null; json: any }[]) {
    for (const r of results) expect([201, 409]).toContain(r.status);
    const created = results.filter((r) => r.status === 201);
    expect(created.filter((r) => r.replayed === null).length).toBe(1);
    expect(new Set(created.map((r) => r.json.id)).size).toBe(1);
  }

  test("50 concurrent same-key requests on one instance -> one payment, one outbox row", async () => {
    const { k, results } = await fifty([h.api.app], h.merchantA.apiKey);
    expectExactlyOnce(results);
    expect(await paymentsForKey(h.merchantA.merchantId, k)).toEqual({ keys: 1, payments: 1, outbox: 1 });
  });

  test("50 concurrent same-key requests across 10 instances -> one payment, one outbox row", async () => {
    // Separate app instances share nothing in memory, so only Postgres can serialise them.
    const logger = createLogger("silent");
    const apps = Array.from(
      { length: 10 },
      (_, i) =>
        buildApi({
          primary: h.primary,
          replica: h.replica,
          logger,
          config: { bodyLimitBytes: 16384, createBatchMax: i % 2 ? 1 : 64, dbPoolMax: 4, authCacheMs: 0 },
        }).app,
    );
    for (let round = 0; round < 3; round++) {
      const { k, results } = await fifty(apps, h.merchantA.apiKey);
      expectExactlyOnce(results);
      expect(await paymentsForKey(h.merchantA.merchantId, k)).toEqual({ keys: 1, payments: 1, outbox: 1 });
    }
  });
});

describe("retention", () => {
  test("records older than the TTL are purged; younger ones are kept", async () => {
    const oldKey = key();
    const youngKey = key();
    await h.create(validBody(), { idem: oldKey });
    await h.create(validBody(), { idem: youngKey });
    await h.primary`UPDATE idempotency_keys SET created_at = now() - interval '25 hours'
                    WHERE merchant_id = ${h.merchantA.merchantId} AND key = ${oldKey}`;
    await h.primary`UPDATE idempotency_keys SET created_at = now() - interval '23 hours'
                    WHERE merchant_id = ${h.merchantA.merchantId} AND key = ${youngKey}`;
    await purgeExpiredIdempotencyKeys(h.primary, 24);
    expect((await paymentsForKey(h.merchantA.merchantId, oldKey)).keys).toBe(0);
    expect((await paymentsForKey(h.merchantA.merchantId, youngKey)).keys).toBe(1);
    expect((await h.create(validBody(), { idem: youngKey })).headers.get("idempotent-replayed")).toBe("true");
    const reused = await h.create(validBody(), { idem: oldKey });
    expect(reused.status).toBe(201);
    expect(reused.headers.get("idempotent-replayed")).toBeNull();
  });
});
