/**
 * /ops/dead-letters mounted on the real API app (buildApi, as main.ts will): operator key
 * auth, list/show/discard/replay against the real Postgres. No Kafka: dead letters are
 * inserted through the store the DLQ consumer uses.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "../../api/observability/logger.ts";
import { opsRoutes } from "../../api/ops/routes.ts";
import { buildApi } from "../../api/wiring.ts";
import { createDb, type Sql } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { deadLetterStore } from "../../shared/dead-letters/store.ts";
import { Headers } from "../../shared/topics.ts";
import { endpoints } from "../setup/endpoints.ts";
import { produce, uniqueName } from "../streams/kafka-tools.ts";

const KEY = "ops_test_key_0123456789abcdef";
const topic = `it.ops.${uniqueName("r")}`;
let sql: Sql;
let replica: Sql;
let app: { handle: (r: Request) => Promise<Response> };
const ids: string[] = [];

beforeAll(async () => {
  sql = createDb({ url: endpoints.DATABASE_URL, max: 5, applicationName: "ops-tests" });
  replica = createDb({ url: endpoints.DATABASE_READ_URL, max: 1, applicationName: "ops-tests-read" });
  await migrate(sql);
  // Replays become outbox rows for `<topic>.retry.1s`: the topic must exist, or the relay
  // (auto.create.topics.enable=false) would fail its batch on them.
  produce(topic, []);
  const store = deadLetterStore(sql);
  const api = buildApi({ primary: sql, replica, logger: createLogger("silent"), config: { bodyLimitBytes: 16384, createBatchMax: 1, dbPoolMax: 5, authCacheMs: 0 } });
  app = api.app.use(opsRoutes({ store, opsApiKey: KEY }));
  for (let i = 0; i < 3; i++) {
    const d = await store.insert({
      topic: `${topic}.dlq`,
      partition: 0,
      offset: String(i),
      key: `k-${topic}-${i}`,
      value: i === 2 ? Buffer.from([0xff, 0xfe, 0x00]) : Buffer.from(`{"n":${i}}`),
      headers: { [Headers.originalTopic]: topic, [Headers.attempt]: "4", [Headers.errorClass]: "RetryableError", [Headers.errorMessage]: "boom", [Headers.correlationId]: `c-${i}` },
    });
    ids.push(d!.id);
  }
});
afterAll(async () => {
  await sql`DELETE FROM outbox WHERE topic LIKE ${`${topic}.%`} AND published_at IS NULL`;
  await sql.end({ timeout: 5 });
  await replica.end({ timeout: 5 });
});

const call = async (method: string, path: string, body?: unknown, key: string | null = KEY) => {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await app.handle(new Request(`http://localhost${path}`, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) }));
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as any) : undefined, headers: res.headers };
};

test("without the operator key (or with a merchant-style key) every ops route is 401, before the body is read", async () => {
  for (const key of [null, "wrong-key", `${KEY}x`]) {
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
