/**
 * Run by kafka.test.ts under the pinned Node 24 (the Kafka client cannot load
 * under Bun): creates a topic, produces with the idempotent producer, consumes
 * the records back through the project's adapter and prints what it saw.
 */
import { firstValueFrom, filter, take, toArray, timeout } from "rxjs";
import { ensureTopics } from "../../streams/kafka/admin.ts";
import { createKafkaConsumer } from "../../streams/kafka/consumer.ts";
import { createKafkaProducer } from "../../streams/kafka/producer.ts";

const brokers = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const topic = `smoke.${Date.now()}.${process.pid}`;
const count = 20;

await ensureTopics(brokers, [{ name: topic, partitions: 3 }]);
const producer = await createKafkaProducer({ brokers, clientId: "smoke-producer" });
const sent = Array.from({ length: count }, (_, i) => ({ topic, key: `k${i % 5}`, value: Buffer.from(`v${i}`), headers: { "x-n": String(i) } }));
await producer.send(sent);
await producer.disconnect();

const consumer = createKafkaConsumer({ brokers, groupId: `smoke-${process.pid}`, topics: [topic], clientId: "smoke-consumer" });
const received = firstValueFrom(
  consumer.messages$.pipe(
    filter((m) => m.topic === topic),
    take(count),
    toArray(),
    timeout(30_000),
  ),
);
consumer.assignments$.subscribe((e) => {
  if (e.type === "revoked") e.done();
});
await consumer.start();
const got = await received;
const last = new Map<number, number>();
for (const m of got) last.set(m.partition, Math.max(last.get(m.partition) ?? -1, Number(m.offset)));
await consumer.commit([...last].map(([partition, offset]) => ({ topic, partition, offset: String(offset + 1) })));
await consumer.disconnect();
console.log(JSON.stringify({ topic, values: got.map((m) => m.value?.toString()).sort(), headers: got.map((m) => m.headers["x-n"]).sort() }));
process.exit(0);
