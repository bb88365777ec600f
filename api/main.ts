/**
 * Payment API process: `PORT=13001 bun api/main.ts`.
 * Start-up: check config (a bad value, or a published dev key outside dev mode, stops it
 * here with the reason), open pools, apply migrations (advisory-locked, so N instances may
 * start together), seed the dev merchant when asked (dev mode only), serve on API_HOST
 * (loopback unless set: the public way in is Caddy).
 * SIGTERM/SIGINT: report not-ready, stop accepting, let in-flight requests finish, close pools.
 */
import { ConfigError, loadStackEnv, redactUrl } from "../shared/config.ts";
import { createDb } from "../shared/db/client.ts";
import { migrate } from "../shared/db/migrate.ts";
import { loadApiConfig } from "./config.ts";
import { purgeExpiredIdempotencyKeys } from "./idempotency/purge.ts";
import { seedDevMerchant } from "./merchants/seed.ts";
import { createLogger } from "./observability/logger.ts";
import { createMetrics } from "./observability/metrics.ts";
import { WEBHOOK_BODY_LIMIT_BYTES } from "./gateway-webhooks/routes.ts";
import { buildApi } from "./wiring.ts";

const PURGE_EVERY_MS = 10 * 60_000;

function loadConfig() {
  try {
    return { env: loadStackEnv(), config: loadApiConfig() };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`payment API: refusing to start: ${err.message}`);
    process.exit(2);
  }
}

const { env, config } = loadConfig();
const logger = createLogger(config.logLevel);
if (config.devMode) logger.warn("dev mode (PAYORCH_DEV_MODE=1): the dev merchant and the published dev keys are accepted; local development only");
if (!config.opsApiKey) logger.info("OPS_API_KEY is not set: the /ops endpoints refuse every request");

const primary = createDb({ url: env.DATABASE_URL, max: config.dbPoolMax, applicationName: "payment-api" });
const replica = createDb({ url: env.DATABASE_READ_URL, max: config.readPoolMax, applicationName: "payment-api-read" });

const applied = await migrate(primary);
logger.info({ applied, db: redactUrl(env.DATABASE_URL), replica: redactUrl(env.DATABASE_READ_URL) }, "schema ready");

if (config.seedDevMerchant) {
  const dev = await seedDevMerchant(primary, config.devMerchantKey);
  // Deliberately stdout, not the JSON log: it is for the developer's eyes, and logs get shipped.
  console.log(`dev merchant ${dev.merchantId} API key: ${dev.apiKey}`);
}

const { handle, committer, readiness, reads } = buildApi({
  primary,
  replica,
  logger,
  config,
  metrics: createMetrics({ defaultMetrics: true }),
});

const server = Bun.serve({
  hostname: config.host,
  port: config.port,
  // Bun's own cap is a backstop; the JSON parser answers 413 at bodyLimitBytes already.
  maxRequestBodySize: Math.max(config.bodyLimitBytes * 4, WEBHOOK_BODY_LIMIT_BYTES),
  // The peer address feeds the per-client limits (X-Forwarded-For only from a trusted proxy).
  fetch: (request, srv) => handle(request, srv.requestIP(request)?.address),
});
logger.info({ host: config.host, port: server.port }, "payment API listening");

const purge = setInterval(() => {
  purgeExpiredIdempotencyKeys(primary, config.idempotencyTtlHours)
    .then((n) => n > 0 && logger.info({ purged: n }, "idempotency keys purged"))
    .catch((err: unknown) => logger.warn({ err: String(err) }, "idempotency purge failed"));
}, PURGE_EVERY_MS);
purge.unref();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  readiness.shuttingDown = true;
  clearInterval(purge);
  const grace = Bun.sleep(config.shutdownGraceMs).then(() => "timeout" as const);
  const drained = (async () => {
    await server.stop(false);
    await committer.drain();
    return "drained" as const;
  })();
  if ((await Promise.race([drained, grace])) === "timeout") {
    logger.warn("grace period over; closing remaining connections");
    await server.stop(true);
  }
  reads.stop();
  await Promise.all([primary.end({ timeout: 5 }), replica.end({ timeout: 5 })]);
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
