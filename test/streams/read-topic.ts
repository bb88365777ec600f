/** Node helper for tests: reads COUNT records of TOPIC from the beginning and prints them as JSON. */
import { filter, firstValueFrom, take, timeout, toArray } from "rxjs";
import { createKafkaConsumer } from "../../streams/kafka/consumer.ts";

const [topic, count] = process.argv.slice(2) as [string, string];
const consumer = createKafkaConsumer({
  brokers: process.env.KAFKA_BROKERS ?? "127.0.0.1:19092",
  groupId: `reader-${process.pid}-${Date.now()}`,
  topics: [topic],
  clientId: "test-reader",
});
consumer.assignments$.subscribe((e) => e.type === "revoked" && e.done());
const got = firstValueFrom(
  consumer.messages$.pipe(
    filter((m) => m.topic === topic),
    take(Number(count)),
    toArray(),
    timeout(Number(process.env.READ_TIMEOUT_MS ?? 30_000)),
  ),
);
await consumer.start();
const records = await got;
await consumer.disconnect();
console.log(JSON.stringify(records.map((r) => ({ ...r, value: r.value?.toString("base64") ?? null }))));
process.exit(0);
