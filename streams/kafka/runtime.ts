/**
 * Connects a worker to Kafka: creates its topics (source, retry tiers, DLQ)
 * when missing, then builds the consumer and the idempotent producer.
 * `runWorker(def, { connect: kafkaConnect(...) })` is all a service needs.
 */
import { dlqTopic } from "../../shared/topics.ts";
import type { ConsumerPort, ProducerPort } from "../engine/ports.ts";
import { ensureTopics } from "./admin.ts";
import { createKafkaConsumer } from "./consumer.ts";
import { createKafkaProducer } from "./producer.ts";

export interface KafkaConnectOptions {
  readonly brokers: string;
  readonly clientId: string;
  readonly partitions: number;
  /** Also create these topics (e.g. the ones the worker produces to). */
  readonly extraTopics?: readonly string[];
  readonly consumerBatchSize?: number;
}

export function kafkaConnect(opts: KafkaConnectOptions) {
  return async (sub: { groupId: string; topics: readonly string[] }): Promise<{ consumer: ConsumerPort; producer: ProducerPort }> => {
    const sources = [...new Set(sub.topics.map((t) => t.replace(/\.retry\.[^.]+$/, "")))];
    const all = [...new Set([...sub.topics, ...sources.map(dlqTopic), ...(opts.extraTopics ?? [])])];
    await ensureTopics(
      opts.brokers,
      all.map((name) => ({ name, partitions: opts.partitions })),
    );
    const producer = await createKafkaProducer({ brokers: opts.brokers, clientId: `${opts.clientId}-producer` });
    const consumer = createKafkaConsumer({
      brokers: opts.brokers,
      groupId: sub.groupId,
      topics: sub.topics,
      clientId: `${opts.clientId}-consumer`,
      ...(opts.consumerBatchSize ? { batchSize: opts.consumerBatchSize } : {}),
    });
    return { consumer, producer };
  };
}
