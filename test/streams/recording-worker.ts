/**
 * A worker for the engine's integration tests, run under the pinned Node 24:
 * handles records of TOPIC by sleeping HANDLER_MS and appends a JSON line per
 * start and end to LOG_FILE (appendFileSync, so the lines survive a SIGKILL).
 *
 * Value: JSON { key, seq, retryOnce? }. A record with `retryOnce: true` fails with a
 * RetryableError on its first delivery. Undecodable bytes are poison.
 * RETRY_DELAY_MS, when set, replaces the retry tiers by one tier of that delay
 * (no jitter), so a test can hold retry records for as long as it needs.
 */
import { appendFileSync } from "node:fs";
import { RetryableError, PoisonError, defaultRetryPolicy, defineWorker, runWorker } from "../../streams/engine/index.ts";
import { kafkaConnect } from "../../streams/kafka/runtime.ts";

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const topic = env("TOPIC");
const logFile = env("LOG_FILE");
const handlerMs = Number(env("HANDLER_MS", "2"));
const retryDelayMs = process.env.RETRY_DELAY_MS === undefined ? undefined : Number(process.env.RETRY_DELAY_MS);
const retry =
  retryDelayMs === undefined ? defaultRetryPolicy : { tiers: [{ name: `${retryDelayMs}ms`, delayMs: retryDelayMs }], attemptsOnLastTier: 1, jitter: 0 };
const log = (entry: Record<string, unknown>) => appendFileSync(logFile, `${JSON.stringify({ ...entry, pid: process.pid, t: Date.now() })}\n`);

type Rec = { key: string; seq: number; retryOnce?: boolean };

const worker = defineWorker<Rec>({
  name: "recording-worker",
  sourceTopic: topic,
  decode: (msg) => {
    const text = msg.value?.toString("utf8") ?? "";
    try {
      const v = JSON.parse(text) as Rec;
      if (typeof v.key !== "string" || typeof v.seq !== "number") throw new Error("shape");
      return v;
    } catch {
      throw new PoisonError(`not a record: ${text.slice(0, 40)}`);
    }
  },
  handle: async (rec, ctx) => {
    const id = `${ctx.message.topic.replace(/\.retry\..*$/, "")}/${rec.key}/${rec.seq}`;
    log({ ev: "start", id, key: rec.key, seq: rec.seq, attempt: ctx.attempt, topic: ctx.message.topic, dueAt: ctx.message.headers["x-due-at"] });
    if (handlerMs > 0) await new Promise((r) => setTimeout(r, handlerMs));
    if (rec.retryOnce && ctx.attempt === 1) {
      log({ ev: "fail", id });
      throw new RetryableError("transient failure, first attempt");
    }
    log({ ev: "end", id, key: rec.key, seq: rec.seq });
  },
});

const running = await runWorker(worker, {
  connect: kafkaConnect({ brokers: env("KAFKA_BROKERS"), clientId: `recording-${process.pid}`, partitions: Number(env("PARTITIONS", "12")) }),
  metricsPort: 0,
  groupId: env("GROUP"),
  engine: { concurrency: Number(env("CONCURRENCY", "64")), commitIntervalMs: Number(env("COMMIT_MS", "200")), retry },
});
log({ ev: "ready" });
await running.done;
log({ ev: "stopped" });
process.exit(0);
