/**
 * A database that cannot be reached is a 503 with Retry-After (the client may retry), never
 * a 500: the API built as production builds it, over pools pointed at a port where no
 * Postgres listens (a real refused connection, nothing simulated inside the code), as when
 * the primary restarts while the replica is stopped.
 */
import { afterAll, expect, test } from "bun:test";
import { createLogger } from "../../api/observability/logger.ts";
import { buildApi } from "../../api/wiring.ts";
import { createDb } from "../../shared/db/client.ts";

const down = createDb({ url: "postgres://payments@127.0.0.1:1/payments", max: 1, connectTimeout: 2 });
const api = buildApi({
  primary: down,
  replica: down,
  logger: createLogger("silent"),
  config: { bodyLimitBytes: 16_384, createBatchMax: 64, dbPoolMax: 1, authCacheMs: 0 },
});
afterAll(async () => {
  api.reads.stop();
  await down.end({ timeout: 1 });
});

test("no database answers: 503 with Retry-After in the error shape, not 500", async () => {
  // Authentication reads the database first, so every merchant request meets it.
  const res = await api.handle(new Request("http://localhost/v1/payments", { headers: { authorization: "Bearer sk_test_0123456789abcdefghij" } }));
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("1");
  expect(((await res.json()) as { error: { type: string; code: string } }).error).toMatchObject({ type: "api_error", code: "service_unavailable" });
}, 30_000);
