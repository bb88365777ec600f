import type { OutboundRecord, ProducerPort } from "../engine/ports.ts";
import { baseConfig, rdkafka } from "./rdkafka.ts";

export interface ProducerOptions {
  readonly brokers: string;
  readonly clientId: string;
  /** Extra librdkafka settings (e.g. linger.ms for throughput). */
  readonly extra?: Record<string, string | number | boolean>;
}

/**
 * librdkafka errors that say the record itself can never be produced as it is: no such
 * topic, too large, malformed, not allowed. Anything else (timeouts, brokers down, not
 * enough replicas, a full local queue) may pass on a later try.
 */
const PERMANENT = new Set([
  -188, // ERR__UNKNOWN_TOPIC
  -186, // ERR__INVALID_ARG
  2, // ERR_INVALID_MSG
  3, // ERR_UNKNOWN_TOPIC_OR_PART
  4, // ERR_INVALID_MSG_SIZE
  10, // ERR_MSG_SIZE_TOO_LARGE
  17, // ERR_TOPIC_EXCEPTION (invalid topic name)
  18, // ERR_RECORD_LIST_TOO_LARGE
  29, // ERR_TOPIC_AUTHORIZATION_FAILED
  87, // ERR_INVALID_RECORD
]);

/** A failed produce, with the verdict the ProducerPort contract asks for. */
export class ProduceError extends Error {
  override name = "ProduceError";
  readonly permanent: boolean;
  readonly code: number | undefined;
  constructor(message: string, code: number | undefined, permanent: boolean) {
    super(message);
    this.code = code;
    this.permanent = permanent;
  }
}

function produceError(err: unknown): ProduceError {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String((err as { message?: string } | null)?.message ?? err);
  if (typeof code === "number") return new ProduceError(message, code, PERMANENT.has(code));
  // No librdkafka code: the client refused the record's own shape (a header or value of the
  // wrong type) before it reached any broker; network and broker failures always carry a code.
  return new ProduceError(message, undefined, true);
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
      try {
        producer.produce(r.topic, r.partition ?? null, r.value, r.key, Date.now(), headers, (err: unknown) => {
          if (err) reject(produceError(err));
          else resolve();
        });
      } catch (err) {
        reject(produceError(err));
      }
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
