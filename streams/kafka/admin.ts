import { ErrorCodes, baseConfig, rdkafka } from "./rdkafka.ts";

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

/**
 * Creates the topics that do not exist yet; existing ones are left as they are. The
 * replication factor and min.insync.replicas are the brokers' defaults (replication factor
 * -1), so one broker gets 1 and the cluster profile's three get 3 with min ISR 2.
 */
export async function ensureTopics(brokers: string, topics: readonly TopicSpec[], timeoutMs = 15_000): Promise<void> {
  const admin = rdkafka.AdminClient.create(baseConfig(brokers, "payorch-admin"));
  try {
    await Promise.all(
      topics.map(
        (t) =>
          new Promise<void>((resolve, reject) => {
            admin.createTopic({ topic: t.name, num_partitions: t.partitions, replication_factor: -1 }, timeoutMs, (err) => {
              if (!err || err.code === ErrorCodes.topicAlreadyExists) resolve();
              else reject(new Error(`creating topic ${t.name}: ${err.message}`));
            });
          }),
      ),
    );
  } finally {
    admin.disconnect();
  }
}
