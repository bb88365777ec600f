/** Node helper for tests: creates TOPIC's catalogue (topic, retry tiers, DLQ) and produces the records in FILE (JSON array). */
import { readFileSync } from "node:fs";
import { RetryTiers, dlqTopic, retryTopic } from "../../shared/topics.ts";
import { ensureTopics } from "../../streams/kafka/admin.ts";
import { createKafkaProducer } from "../../streams/kafka/producer.ts";

const [topic, file] = process.argv.slice(2) as [string, string];
const brokers = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const partitions = Number(process.env.PARTITIONS ?? 12);
const records = JSON.parse(readFileSync(file, "utf8")) as { key: string; value: string; headers?: Record<string, string> }[];
await ensureTopics(
  brokers,
  [topic, ...RetryTiers.map((t) => retryTopic(topic, t.name)), dlqTopic(topic)].map((name) => ({ name, partitions })),
);
const producer = await createKafkaProducer({ brokers, clientId: "test-producer" });
for (let i = 0; i < records.length; i += 500) {
  await producer.send(records.slice(i, i + 500).map((r) => ({ topic, key: r.key, value: Buffer.from(r.value, "utf8"), headers: r.headers ?? {} })));
}
await producer.disconnect();
process.exit(0);
