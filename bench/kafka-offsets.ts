/**
 * Records ever appended to the local Kafka, by topic: the sum of its partitions' end offsets,
 * internal topics (__consumer_offsets: the consumers' commits) included.
 *
 * librdkafka's binding loads on Node only (streams/kafka/rdkafka.ts), so a Bun caller gets
 * them through `kafkaEndOffsets()`, which runs this file under the pinned Node:
 *   node_modules/.bin/node bench/kafka-offsets.ts     # prints {"<topic>": <records>, …}
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadStackEnv } from "../shared/config.ts";

const SELF = fileURLToPath(import.meta.url);
const NODE = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
const TIMEOUT_MS = 10_000;

/** End offsets summed per topic, from any runtime: this file under Node, its one line of JSON back. */
export async function kafkaEndOffsets(): Promise<Record<string, number>> {
  const { stdout } = await promisify(execFile)(NODE, [SELF], { timeout: 2 * TIMEOUT_MS });
  return JSON.parse(stdout) as Record<string, number>;
}

/** Every topic, its partitions, their latest offsets: three admin requests to the broker. */
async function endOffsets(brokers: string): Promise<Record<string, number>> {
  const { baseConfig, rdkafka } = await import("../streams/kafka/rdkafka.ts");
  type Callback<T> = (err: unknown, result: T) => void;
  const call = <T>(fn: (cb: Callback<T>) => void) => new Promise<T>((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result))));
  const admin = rdkafka.AdminClient.create(baseConfig(brokers, "bench-offsets"));
  try {
    const topics = await call<string[]>((cb) => admin.listTopics({ timeout: TIMEOUT_MS }, cb));
    const described = await call<{ name: string; partitions: { partition: number }[] }[]>((cb) => admin.describeTopics(topics, { timeout: TIMEOUT_MS }, cb));
    const partitions = described.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, offset: rdkafka.OffsetSpec.LATEST })));
    const offsets = await call<{ topic: string; partition: number; offset: number; error?: { message: string } }[]>((cb) =>
      admin.listOffsets(partitions, { timeout: TIMEOUT_MS }, cb),
    );
    const byTopic: Record<string, number> = {};
    for (const o of offsets) {
      if (o.error) throw new Error(`end offset of ${o.topic}/${o.partition}: ${o.error.message}`);
      byTopic[o.topic] = (byTopic[o.topic] ?? 0) + o.offset;
    }
    return byTopic;
  } finally {
    admin.disconnect();
  }
}

if (process.argv[1] === SELF) console.log(JSON.stringify(await endOffsets(loadStackEnv().KAFKA_BROKERS)));
