/**
 * Node helper for tests: a consumer subscribes to an existing topic and to one that is
 * created only LATE_MS later (as when several services start at once and another one is
 * still creating the topic), then one record is produced to the late topic. Prints
 * {"received": true|false, "ms": …} after at most READ_TIMEOUT_MS.
 */
import { filter, firstValueFrom, take, timeout } from "rxjs";
import { ensureTopics } from "../../streams/kafka/admin.ts";
import { createKafkaConsumer } from "../../streams/kafka/consumer.ts";
import { createKafkaProducer } from "../../streams/kafka/producer.ts";

const [early, late] = process.argv.slice(2) as [string, string];
const brokers = process.env.KAFKA_BROKERS ?? "127.0.0.1:19092";
const partitions = Number(process.env.PARTITIONS ?? 3);
await ensureTopics(brokers, [{ name: early, partitions }]);
const consumer = createKafkaConsumer({ brokers, groupId: `${late}.group`, topics: [early, late], clientId: "test-late-topic" });
consumer.assignments$.subscribe((e) => e.type === "revoked" && e.done());
const started = Date.now();
const got = firstValueFrom(
  consumer.messages$.pipe(
    filter((m) => m.topic === late),
    take(1),
    timeout(Number(process.env.READ_TIMEOUT_MS ?? 30_000)),
  ),
).then(
  () => true,
  () => false,
);
const starting = consumer.start();
await new Promise((r) => setTimeout(r, Number(process.env.LATE_MS ?? 2_000)));
await ensureTopics(brokers, [{ name: late, partitions }]);
const producer = await createKafkaProducer({ brokers, clientId: "test-late-topic-producer" });
await producer.send([{ topic: late, key: "k", value: Buffer.from("v"), headers: {} }]);
await starting;
const received = await got;
console.log(JSON.stringify({ received, ms: Date.now() - started }));
await Promise.all([consumer.disconnect(), producer.disconnect()]);
process.exit(0);
