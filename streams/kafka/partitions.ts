/**
 * Prints the brokers' partition metadata as JSON: every topic's partitions with their
 * leader, replicas and in-sync replicas. Run on Node (the Kafka client is a Node addon):
 *   node_modules/.bin/node streams/kafka/partitions.ts [brokers]
 * The cluster chaos run reads it to find the broker leading the most partitions and to
 * check that no partition is under-replicated at the end.
 */
import { loadStackEnv } from "../../shared/config.ts";
import { baseConfig, rdkafka } from "./rdkafka.ts";

export interface PartitionInfo {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export function partitions(brokers: string, timeoutMs = 15_000): Promise<PartitionInfo[]> {
  const producer = new rdkafka.Producer(baseConfig(brokers, "payorch-partitions"));
  return new Promise((resolve, reject) => {
    producer.connect({ timeout: timeoutMs }, (err) => {
      if (err) return reject(err);
      producer.getMetadata({ timeout: timeoutMs }, (e, md) => {
        producer.disconnect();
        if (e) return reject(e);
        resolve(
          md.topics
            .filter((t) => !t.name.startsWith("__"))
            .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.id, leader: p.leader, replicas: p.replicas, isr: p.isrs }))),
        );
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const brokers = process.argv[2] ?? loadStackEnv().KAFKA_BROKERS;
  partitions(brokers).then(
    (p) => console.log(JSON.stringify(p)),
    (e: unknown) => {
      console.error(`partition metadata from ${brokers}: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
