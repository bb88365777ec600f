/**
 * /ops/dead-letters on the API exactly as main.ts builds it (buildApi through the test
 * harness; nothing mounted by hand, so a route production does not mount fails here):
 * operator key auth, list/show/discard/replay against the real Postgres. No Kafka: dead
 * letters are inserted through the store the DLQ consumer uses, and the replays' outbox
 * rows stay in the tests' own database, which no relay reads.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { deadLetterStore } from "../../shared/dead-letters/store.ts";
import { Headers } from "../../shared/topics.ts";
import { createHarness, type Harness } from "../api/harness.ts";
import { uniqueName } from "../streams/kafka-tools.ts";

const KEY = "ops_test_key_0123456789abcdef";
const topic = `it.ops.${uniqueName("r")}`;
let h: Harness;
const ids: string[] = [];

beforeAll(async () => {
  h = await createHarness({ config: { opsApiKey: KEY } });
  const store = deadLetterStore(h.primary);
  for (let i = 0; i < 3; i++) {
    const d = await store.insert({
      topic: `${topic}.dlq`,
      partition: 0,
      offset: String(i),
      key: `k-${topic}-${i}`,
      value: i === 2 ? Buffer.from([0xff, 0xfe, 0x00]) : Buffer.from(`{"n":${i}}`),
      headers: {
        [Headers.originalTopic]: topic,
        [Headers.attempt]: "4",
        [Headers.errorClass]: "RetryableError",
        [Headers.errorMessage]: "boom",
        [Headers.correlationId]: `c-${i}`,
      },
    });
    ids.push(d!.id);
  }
});
afterAll(async () => {
  await h.primary`DELETE FROM outbox WHERE topic LIKE ${`${topic}.%`} AND published_at IS NULL`;
  await h.close();
});

const call = (method: string, path: string, body?: unknown, key: string | null = KEY) =>
  h.call(method, path, {
    key,
    idem: null,
    ...(typeof body === "string" ? { raw: body, headers: { "content-type": "application/json" } } : { body }),
  });

test("without the operator key (or with a merchant-style key) every ops route is 401, before the body is read", async () => {
  for (const key of [null, "wrong-key", `${KEY}x`, h.merchantA.apiKey]) {
    expect((await call("GET", "/ops/dead-letters", undefined, key)).status).toBe(401);
    const r = await call("POST", `/ops/dead-letters/${ids[0]}/discard`, "{not json", key);
    expect(r.status).toBe(401);
    expect(r.json.error.type).toBe("authentication_error");
  }
  // The merchant API is untouched by the ops hook.
  expect((await call("GET", "/health/live", undefined, null)).status).toBe(200);
});

test("list filters by topic and state, newest first; show decodes the payload", async () => {
  const list = await call("GET", `/ops/dead-letters?topic=${topic}&state=new&limit=2`);
  expect(list.status).toBe(200);
  expect(list.json.data.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
  expect(list.json.next_before).toBe(ids[1]);
  const page2 = await call("GET", `/ops/dead-letters?topic=${topic}&limit=2&before=${list.json.next_before}`);
  expect(page2.json.data.map((d: { id: string }) => d.id)).toEqual([ids[0]]);

  const text = await call("GET", `/ops/dead-letters/${ids[0]}`);
  expect(text.json).toMatchObject({ payload: '{"n":0}', payload_encoding: "utf8", attempts: 4, original_topic: topic });
  expect(text.json.headers[Headers.correlationId]).toBe("c-0");
  const bin = await call("GET", `/ops/dead-letters/${ids[2]}`);
  expect(bin.json).toMatchObject({ payload: Buffer.from([0xff, 0xfe, 0x00]).toString("base64"), payload_encoding: "base64" });
  expect((await call("GET", "/ops/dead-letters/999999999999")).status).toBe(404);
  expect((await call("GET", "/ops/dead-letters?limit=abc")).status).toBe(400);
});

test("discard needs a reason, and twice is a conflict", async () => {
  expect((await call("POST", `/ops/dead-letters/${ids[0]}/discard`, {})).status).toBe(400);
  const ok = await call("POST", `/ops/dead-letters/${ids[0]}/discard`, { reason: "duplicate of an already settled payment" });
  expect(ok.status).toBe(200);
  expect(ok.json).toMatchObject({ state: "discarded", reason: "duplicate of an already settled payment" });
  expect((await call("POST", `/ops/dead-letters/${ids[0]}/discard`, { reason: "again" })).status).toBe(409);
});

test("replay one and replay by filter write outbox rows for the first retry tier and mark them replayed", async () => {
  const one = await call("POST", `/ops/dead-letters/${ids[1]}/replay`);
  expect(one.status).toBe(200);
  expect(one.json).toMatchObject({ state: "replayed", replay_count: 1 });
  const bulk = await call("POST", "/ops/dead-letters/replay", { topic, state: "new" });
  expect(bulk.json.replayed).toEqual([ids[2]]); // 0 is discarded, 1 already replayed
  const sql = h.primary;
  const rows = await sql`SELECT topic, key, payload, payload_bytes, headers FROM outbox WHERE key IN ${sql([`k-${topic}-1`, `k-${topic}-2`])} ORDER BY id`;
  expect(rows.map((r) => r.topic)).toEqual([`${topic}.retry.1s`, `${topic}.retry.1s`]);
  expect(Buffer.from(rows[1]!.payload_bytes).equals(Buffer.from([0xff, 0xfe, 0x00]))).toBe(true);
  for (const r of rows) {
    expect(r.payload).toBeNull();
    expect(r.headers[Headers.attempt]).toBe("0");
    expect(r.headers[Headers.originalTopic]).toBe(topic);
    expect(r.headers[Headers.errorClass]).toBeUndefined();
    expect(Number(r.headers[Headers.dueAt])).toBeLessThanOrEqual(Date.now());
  }
  expect(rows[0]!.headers[Headers.replay]).toBe(ids[1]);
  expect((await call("POST", "/ops/dead-letters/replay", { topic, bogus: 1 })).status).toBe(400);
});

test("bodies are read as on /v1: JSON only (415), bounded (413), never a card number", async () => {
  const plain = await h.call("POST", "/ops/dead-letters/replay", {
    key: KEY,
    idem: null,
    raw: JSON.stringify({ topic }),
    headers: { "content-type": "text/plain" },
  });
  expect(plain.status).toBe(415);
  expect(plain.json.error.code).toBe("unsupported_media_type");
  const big = await call("POST", `/ops/dead-letters/${ids[0]}/discard`, { reason: "x".repeat(20 * 1024) });
  expect(big.status).toBe(413);
  const card = await call("POST", `/ops/dead-letters/${ids[0]}/discard`, { reason: "customer said 4242 4242 4242 4242" });
  expect(card.status).toBe(400);
  expect(card.json.error.code).toBe("card_data_not_allowed");
});

test("with no operator key configured the endpoints are closed", async () => {
  const closed = await createHarness();
  try {
    const r = await closed.call("GET", "/ops/dead-letters", { key: KEY });
    expect(r.status).toBe(401);
  } finally {
    await closed.close();
  }
});

test("filters and a discard reason holding control characters are a 400 naming the field, never a 500", async () => {
  for (const [param, value] of [
    ["key", "a\u0000b"],
    ["topic", "t\u0000"],
    ["since", "2026\u0000"],
  ] as const) {
    const res = await call("GET", `/ops/dead-letters?${param}=${encodeURIComponent(value)}`);
    expect(res.status, param).toBe(400);
    expect(res.json.error.param).toBe(param);
  }
  const filtered = await call("POST", "/ops/dead-letters/replay", { key: "k\u0000" });
  expect(filtered.status).toBe(400);
  const discard = await call("POST", `/ops/dead-letters/${ids[0]}/discard`, { reason: "oops\u0000" });
  expect(discard.status).toBe(400);
  expect(discard.json.error.param).toBe("reason");
});

test("times and ids outside what Postgres holds are refused (400) or not found (404), never a 500", async () => {
  for (const q of ["since=0000-01-01T00:00:00Z", "since=275760-09-13T00:00:00Z", "before=9999999999999999999"]) {
    const res = await call("GET", `/ops/dead-letters?${q}`);
    expect(res.status, q).toBe(400);
  }
  for (const [method, path] of [
    ["GET", "/ops/dead-letters/9999999999999999999"],
    ["POST", "/ops/dead-letters/9999999999999999999/replay"],
  ] as const) {
    const res = await call(method, path);
    expect([400, 404], path).toContain(res.status);
  }
});
