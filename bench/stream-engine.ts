/**
 * Stream engine benchmark, against the local Kafka, under the pinned Node 24:
 *   node_modules/.bin/node bench/stream-engine.ts        (or: bun run bench:streams)
 *
 * 1. Gateway-like work: MESSAGES records over 12 partitions with distinct keys,
 *    a handler that waits LATENCY_MS. (a) partition-sequential (one in flight
 *    per partition: the naive consumer) vs (b) the engine at CONCURRENCY.
 * 2. No work: the engine's throughput vs a raw librdkafka consume loop on the same topic.
 * Each figure is measured in the same run as its baseline. Prints a table and,
 * with --json, one JSON line last.
 */
import { Subscription } from "rxjs";
import { loadStackEnv } from "../shared/config.ts";
import { defineWorker, runWorker, type InboundMessage } from "../streams/engine/index.ts";
import { ensureTopics } from "../streams/kafka/admin.ts";
import { createKafkaConsumer } from "../streams/kafka/consumer.ts";
import { createKafkaProducer } from "../streams/kafka/producer.ts";
import { rdkafka } from "../streams/kafka/rdkafka.ts";
import { kafkaConnect } from "../streams/kafka/runtime.ts";

const env = loadStackEnv();
const brokers = env.KAFKA_BROKERS;
const PARTITIONS = 12;
const MESSAGES = Number(process.env.MESSAGES ?? 2000);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 50);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 256);
const NOWORK_MESSAGES = Number(process.env.NOWORK_MESSAGES ?? 100_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (msg: string) => process.stderr.write(`[bench:streams] ${msg}\n`);

async function seed(topic: string, n: number): Promise<void> {
  await ensureTopics(brokers, [{ name: topic, partitions: PARTITIONS }]);
  const producer = await createKafkaProducer({ brokers, clientId: "bench-seed", extra: { "linger.ms": 20, "batch.num.messages": 10000 } });
  const value = Buffer.from(JSON.stringify({ amount: 1000, currency: "EUR", pad: "x".repeat(200) }));
  for (let i = 0; i < n; i += 5000) {
    await producer.send(Array.from({ length: Math.min(5000, n - i) }, (_, j) => ({ topic, key: `key-${i + j}`, value, headers: {} })));
  }
  await producer.disconnect();
}

/** Time from the first record to the n-th handled, in ms. */
function timer(n: number) {
  let first = 0;
  let done = 0;
  let resolve!: (ms: number) => void;
  const finished = new Promise<number>((r) => (resolve = r));
  return {
    seen: () => (first ||= performance.now()),
    handled: () => {
      if (++done === n) resolve(performance.now() - first);
    },
    finished,
  };
}

/** (a) The naive consumer: one record in flight per partition. */
async function partitionSequential(topic: string, n: number, latencyMs: number): Promise<number> {
  const consumer = createKafkaConsumer({ brokers, groupId: `${topic}.naive`, topics: [topic], clientId: "bench-naive" });
  const t = timer(n);
  const chains = new Map<number, Promise<void>>();
  const sub = new Subscription();
  sub.add(consumer.assignments$.subscribe((e) => e.type === "revoked" && e.done()));
  sub.add(
    consumer.messages$.subscribe((m) => {
      t.seen();
      const prev = chains.get(m.partition) ?? Promise.resolve();
      chains.set(m.partition, prev.then(() => sleep(latencyMs)).then(t.handled));
    }),
  );
  await consumer.start();
  const ms = await t.finished;
  sub.unsubscribe();
  await consumer.disconnect();
  return ms;
}

/** (b) The engine, through the same lifecycle every worker uses. */
async function engine(topic: string, n: number, latencyMs: number, concurrency: number): Promise<number> {
  const t = timer(n);
  const worker = defineWorker<InboundMessage>({
    name: "bench-engine",
    sourceTopic: topic,
    decode: (m) => {
      t.seen();
      return m;
    },
    handle: async () => {
      if (latencyMs > 0) await sleep(latencyMs);
      t.handled();
    },
  });
  const running = await runWorker(worker, {
    connect: kafkaConnect({ brokers, clientId: "bench-engine", partitions: PARTITIONS, consumerBatchSize: 1000 }),
    metricsPort: 0,
    groupId: `${topic}.engine.${concurrency}.${latencyMs}`,
    engine: { concurrency, highWater: 5000, lowWater: 2500 },
    signals: [],
  });
  const ms = await t.finished;
  await running.stop();
  return ms;
}

/** The floor: librdkafka's consume loop, counting records, nothing else. */
async function rawLoop(topic: string, n: number): Promise<number> {
  const c = new rdkafka.KafkaConsumer({
    "bootstrap.servers": brokers,
    "group.id": `${topic}.raw`,
    "enable.auto.commit": false,
    "auto.offset.reset": "earliest",
  } as never);
  c.setDefaultConsumeTimeout(100);
  await new Promise<void>((r, j) => c.connect({}, (e) => (e ? j(e) : r())));
  c.subscribe([topic]);
  const t = timer(n);
  let count = 0;
  const loop = () =>
    c.consume(1000, (err, msgs) => {
      if (err && err.code !== -185) throw err;
      for (const _ of msgs ?? []) {
        t.seen();
        count++;
        t.handled();
      }
      if (count < n) setImmediate(loop);
    });
  loop();
  const ms = await t.finished;
  await new Promise<void>((r) => c.disconnect(() => r()));
  return ms;
}

const run = Date.now().toString(36);
const workTopic = `bench.work.${run}`;
const noWorkTopic = `bench.nowork.${run}`;
progress(`seeding ${MESSAGES} records (${PARTITIONS} partitions) and ${NOWORK_MESSAGES} for the no-work run`);
await seed(workTopic, MESSAGES);
await seed(noWorkTopic, NOWORK_MESSAGES);

progress(`(a) partition-sequential, ${LATENCY_MS} ms per record`);
const naiveMs = await partitionSequential(workTopic, MESSAGES, LATENCY_MS);
progress(`(b) engine, concurrency ${CONCURRENCY}`);
const engineMs = await engine(workTopic, MESSAGES, LATENCY_MS, CONCURRENCY);
progress("no-work: raw consume loop");
const rawMs = await rawLoop(noWorkTopic, NOWORK_MESSAGES);
progress("no-work: engine");
const engineNoWorkMs = await engine(noWorkTopic, NOWORK_MESSAGES, 0, CONCURRENCY);

const rate = (n: number, ms: number) => (n / ms) * 1000;
const naive = rate(MESSAGES, naiveMs);
const eng = rate(MESSAGES, engineMs);
const limit = CONCURRENCY / (LATENCY_MS / 1000);
const raw = rate(NOWORK_MESSAGES, rawMs);
const engNoWork = rate(NOWORK_MESSAGES, engineNoWorkMs);
const result = {
  messages: MESSAGES,
  partitions: PARTITIONS,
  latencyMs: LATENCY_MS,
  concurrency: CONCURRENCY,
  partitionSequentialPerSec: Math.round(naive),
  enginePerSec: Math.round(eng),
  ratio: +(eng / naive).toFixed(2),
  limitPerSec: Math.round(limit),
  fractionOfLimit: +(eng / limit).toFixed(3),
  noWorkMessages: NOWORK_MESSAGES,
  rawLoopPerSec: Math.round(raw),
  engineNoWorkPerSec: Math.round(engNoWork),
  noWorkFractionOfRaw: +(engNoWork / raw).toFixed(3),
};
console.log(`
| stream engine (${MESSAGES} records, ${PARTITIONS} partitions, ${LATENCY_MS} ms handler) | records/s |
|---|---|
| (a) partition-sequential | ${result.partitionSequentialPerSec} |
| (b) engine, concurrency ${CONCURRENCY} | ${result.enginePerSec} |
| ratio b/a | ${result.ratio} (required ≥ 10) |
| b vs limit concurrency ÷ latency = ${result.limitPerSec}/s | ${(result.fractionOfLimit * 100).toFixed(1)} % (goal ≥ 70 %) |
| no work: raw librdkafka loop (${NOWORK_MESSAGES} records) | ${result.rawLoopPerSec} |
| no work: engine | ${result.engineNoWorkPerSec} (${(result.noWorkFractionOfRaw * 100).toFixed(1)} % of raw; goal ≥ 50 %) |`);
if (process.argv.includes("--json")) console.log(JSON.stringify(result));
process.exit(0);
