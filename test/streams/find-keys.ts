/** Node helper for tests: scans TOPIC from the beginning and prints the records whose key is in KEYS (comma list). */
import { firstValueFrom, filter, scan, takeWhile, timeout, last } from "rxjs";
import { createKafkaConsumer } from "../../streams/kafka/consumer.ts";

const [topic, keyList] = process.argv.slice(2) as [string, string];
const wanted = new Set(keyList.split(","));
const consumer = createKafkaConsumer({
  brokers: process.env.KAFKA_BROKERS ?? "127.0.0.1:19092",
  groupId: `finder-${process.pid}-${Date.now()}`,
  topics: [topic],
  clientId: "test-finder",
  batchSize: 5000,
});
consumer.assignments$.subscribe((e) => e.type === "revoked" && e.done());
type Found = { key: string; value: string; headers: Record<string, string> };
const found = firstValueFrom(
  consumer.messages$.pipe(
    filter((m) => m.key !== null && wanted.has(m.key)),
    scan((acc, m) => [...acc, { key: m.key as string, value: m.value?.toString("utf8") ?? "", headers: m.headers }], [] as Found[]),
    takeWhile((acc) => new Set(acc.map((f) => f.key)).size < wanted.size, true),
    last(),
    timeout(Number(process.env.READ_TIMEOUT_MS ?? 60_000)),
  ),
);
await consumer.start();
const records = await found;
await consumer.disconnect();
console.log(JSON.stringify(records));
process.exit(0);
