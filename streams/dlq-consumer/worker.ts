/**
 * DLQ consumer: stores every record of every `<topic>.dlq` in Postgres (dead_letters) and
 * raises the ops alert. One consumer group subscribes all DLQ topics: DLQ traffic is tiny, and
 * one process is one thing to run and watch.
 *
 * A dead letter has nowhere further to go, so this worker must never hand a failure to the
 * engine: the engine would route it by the record's x-original-topic header into the
 * ORIGINAL topic's retry tier or DLQ (re-running or re-dead-lettering it). Hence:
 * - decode cannot fail (the record is kept as raw bytes);
 * - handle retries in process, forever, with capped backoff: a Postgres outage holds the
 *   record (and, through the engine's backpressure, its partition) until Postgres is back;
 * - the producer port refuses every send (see refusingProducer): if a failure ever reached
 *   the engine anyway, it would stop without committing rather than republish anything.
 */
import type { Logger } from "../../shared/logger.ts";
import type { DeadLetterStore, IncomingDeadLetter } from "../../shared/dead-letters/store.ts";
import { Headers } from "../../shared/topics.ts";
import { defineWorker, type InboundMessage, type ProducerPort } from "../engine/index.ts";
import type { DlqMetrics } from "./metrics.ts";

export interface DlqDeps {
  readonly store: Pick<DeadLetterStore, "insert">;
  readonly metrics: DlqMetrics;
  readonly log: Logger;
  /** Called for each newly stored dead letter (the batched ops mail). */
  readonly onNew: () => void;
  /** Nominal source topic (for the engine's bookkeeping); the subscription is made by the connect function. */
  readonly sourceTopic: string;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly maxBackoffMs?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const dlqWorker = (deps: DlqDeps) =>
  defineWorker<InboundMessage>({
    name: "dlq-consumer",
    sourceTopic: deps.sourceTopic,
    decode: (msg) => msg,
    classify: () => "retry",
    handle: async (msg) => {
      const sleep = deps.sleep ?? defaultSleep;
      const log = deps.log.child({ correlationId: msg.headers[Headers.correlationId], dlq: msg.topic, partition: msg.partition, offset: msg.offset });
      const incoming: IncomingDeadLetter = {
        topic: msg.topic,
        partition: msg.partition,
        offset: msg.offset,
        key: msg.key,
        value: msg.value,
        headers: msg.headers,
      };
      for (let failures = 0; ; failures++) {
        try {
          const stored = await deps.store.insert(incoming);
          if (stored === null) return log.info({}, "dead letter already stored (redelivery)");
          deps.metrics.deadLetters.inc({ topic: stored.original_topic });
          // The alert line: no payload, it may hold personal data; the id leads to it (`bun run dlq show <id>`).
          log.error(
            {
              deadLetterId: stored.id,
              originalTopic: stored.original_topic,
              paymentId: stored.key,
              reason: stored.dead_letter_reason,
              errorClass: stored.error_class,
              error: stored.error_message,
              attempts: stored.attempts,
            },
            "dead letter stored: a record was given up and needs an operator",
          );
          deps.onNew();
          return;
        } catch (err) {
          deps.metrics.storeFailures.inc();
          const backoff = Math.min(deps.maxBackoffMs ?? 5_000, 100 * 2 ** Math.min(failures, 6));
          log.warn({ err: String(err), backoffMs: backoff }, "storing the dead letter failed; retrying");
          await sleep(backoff);
        }
      }
    },
  });

/** The engine's producer port for a worker that must never produce (see above). */
export const refusingProducer: ProducerPort = {
  send: () => Promise.reject(new Error("the DLQ consumer never produces: a dead letter has no further retry or DLQ")),
  disconnect: () => Promise.resolve(),
};
