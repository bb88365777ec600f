/**
 * Builds the API in-process against the real Postgres primary and replica (URLs from
 * shared/config.ts) with buildApi, the builder main.ts serves, and sends requests in the
 * way main.ts does (through `handle`, with a socket peer). Each test file gets fresh
 * merchants, so files never see each other's payments.
 *
 * The tests use their own database on the same clusters (`payments_api_tests`): the
 * stack's relay and payment worker poll the main database, so nothing moves a payment
 * these tests create out of PENDING while they read it.
 */
import { Writable } from "node:stream";
import { loadStackEnv } from "../../shared/config.ts";
import { createDb, type Sql } from "../../shared/db/client.ts";
import { migrate } from "../../shared/db/migrate.ts";
import { createMerchant } from "../../api/merchants/repo.ts";
import { createLogger } from "../../api/observability/logger.ts";
import { buildApi, type ApiDeps } from "../../api/wiring.ts";
import { validBody } from "./bodies.ts";

export const env = loadStackEnv();

export type Harness = Awaited<ReturnType<typeof createHarness>>;

export { validBody };

const TEST_DATABASE = "payments_api_tests";
const withDatabase = (url: string, name: string) => Object.assign(new URL(url), { pathname: `/${name}` }).toString();
export const testDatabaseUrls = {
  primary: withDatabase(env.DATABASE_URL, TEST_DATABASE),
  replica: withDatabase(env.DATABASE_READ_URL, TEST_DATABASE),
};

let prepared: Promise<void> | undefined;
/** Creates and migrates the test database once per process, and waits until the replica has it. */
export function prepareTestDatabase(): Promise<void> {
  return (prepared ??= (async () => {
    const admin = createDb({ url: env.DATABASE_URL, max: 1, applicationName: "api-tests-setup" });
    try {
      const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${TEST_DATABASE}`;
      if (!exists) await admin.unsafe(`CREATE DATABASE ${TEST_DATABASE}`);
    } finally {
      await admin.end({ timeout: 5 });
    }
    const primary = createDb({ url: testDatabaseUrls.primary, max: 1, applicationName: "api-tests-setup" });
    try {
      await migrate(primary);
    } finally {
      await primary.end({ timeout: 5 });
    }
    const replica = createDb({ url: testDatabaseUrls.replica, max: 1, applicationName: "api-tests-setup" });
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await replica`SELECT 1 FROM schema_migrations LIMIT 1`;
          return;
        } catch (err) {
          if (attempt >= 100) throw new Error(`the replica never showed database ${TEST_DATABASE}: ${err}`);
          await Bun.sleep(50);
        }
      }
    } finally {
      await replica.end({ timeout: 5 });
    }
  })());
}

/**
 * As the local stack runs its instances (infra/stack/components/index.ts): per-key limits far
 * above what the tests send. Tests of the limits pass their own.
 */
const STACK_LIMITS = { merchantRatePerSecond: 100_000, merchantRateBurst: 100_000, authFailuresPerMinute: 600_000, authFailureBurst: 10_000 };

export async function createHarness(opts: { config?: Partial<ApiDeps["config"]>; primary?: Sql; replica?: Sql } = {}) {
  await prepareTestDatabase();
  const primary = opts.primary ?? createDb({ url: testDatabaseUrls.primary, max: 20, applicationName: "api-tests" });
  const replica = opts.replica ?? createDb({ url: testDatabaseUrls.replica, max: 5, applicationName: "api-tests-read" });
  const logLines: string[] = [];
  const logger = createLogger(
    "debug",
    new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    }),
  );
  const config = { bodyLimitBytes: 16 * 1024, createBatchMax: 64, dbPoolMax: 10, authCacheMs: 30_000, ...STACK_LIMITS, ...opts.config };
  const api = buildApi({ primary, replica, logger, config });
  const merchantA = await createMerchant(primary, "Test A");
  const merchantB = await createMerchant(primary, "Test B");

  type CallOpts = {
    key?: string | null;
    body?: unknown;
    raw?: NonNullable<RequestInit["body"]>;
    headers?: Record<string, string>;
    idem?: string | null;
    /** The socket peer the server would report; Caddy's loopback address by default. */
    peer?: string;
  };

  /** Sends a request through the real app. `key` defaults to merchant A's API key. */
  async function call(method: string, path: string, o: CallOpts = {}) {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? merchantA.apiKey : o.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: NonNullable<RequestInit["body"]> | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    if (method === "POST" && o.idem !== null) headers["idempotency-key"] ??= o.idem ?? `test-${crypto.randomUUID()}`;
    const res = await api.handle(new Request(`http://localhost${path}`, { method, headers, body }), o.peer ?? "127.0.0.1");
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  const create = (body: unknown = validBody(), o: CallOpts = {}) => call("POST", "/v1/payments", { body, ...o });

  async function close() {
    api.reads.stop();
    await api.committer.drain();
    await primary.end({ timeout: 5 });
    if (!opts.replica) await replica.end({ timeout: 5 });
  }

  return { primary, replica, api, merchantA, merchantB, call, create, logLines, close };
}
