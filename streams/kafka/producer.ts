import type { OutboundRecord, ProducerPort } from "../engine/ports.ts";
import { baseConfig, rdkafka } from "./rdkafka.ts";

export interface ProducerOptions {
  readonly brokers: string;
  readonly clientId: string;
  /** Extra librdkafka settings (e.g. linger.ms for throughput). */
  readonly extra?: Record<string, string | number | boolean>;
}

/**
 * Idempotent producer (acks=all, enable.idempotence): no duplicates or
 * reordering from the client's own retries. `send` resolves only once the
 * broker has acknowledged every record.
 */
export async function createKafkaProducer(opts: ProducerOptions): Promise<ProducerPort> {
  const producer = new rdkafka.HighLevelProducer({
    ...baseConfig(opts.brokers, opts.clientId),
    "enable.idempotence": true,
    acks: -1, // all in-sync replicas
    "linger.ms": 2,
    "delivery.timeout.ms": 60_000,
    "compression.type": "lz4",
    ...opts.extra,
  });
  await new Promise<void>((resolve, reject) => {
    producer.connect({ timeout: 20_000 }, (err) => (err ? reject(new Error(`producer connect: ${err.message}`)) : resolve()));
  });

  const produceOne = (r: OutboundRecord) =>
    new Promise<void>((resolve, reject) => {
      const headers = Object.entries(r.headers).map(([k, v]) => ({ [k]: v }));
      producer.produce(r.topic, r.partition ?? null, r.value, r.key, Date.now(), headers, (err: unknown) => {
        if (err) reject(err instanceof Error ? err : new Error(String((err as { message?: string }).message ?? err)));
        else resolve();
      });
    });

  return {
    async send(records) {
      await Promise.all(records.map(produceOne));
    },
    disconnect: () =>
      new Promise<void>((resolve) => {
        producer.flush(10_000, () => producer.disconnect(() => resolve()));
      }),
  };
}
