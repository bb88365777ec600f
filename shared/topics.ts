/**
 * Names that do not move: Kafka topics, retry tiers and record headers.
 *
 * Changing any string in this file breaks running consumers and any record
 * already sitting in a retry topic or DLQ. Add new names; never rename.
 */

export const Topics = {
  paymentsCreated: "payments.created",
  paymentsResults: "payments.results",
} as const;
export type SourceTopic = (typeof Topics)[keyof typeof Topics];

/**
 * Not a Kafka topic: the source name under which the outbox relay stores a row it could
 * never publish (dead_letters.topic; the row's own topic is its original_topic).
 */
export const OUTBOX_QUARANTINE = "outbox.quarantine";

/** Retry delay tiers, in order. The name is part of the topic name. */
export const RetryTiers = [
  { name: "1s", delayMs: 1_000 },
  { name: "10s", delayMs: 10_000 },
  { name: "60s", delayMs: 60_000 },
] as const;
export type RetryTier = { readonly name: string; readonly delayMs: number };

export const retryTopic = (source: string, tier: string): string => `${source}.retry.${tier}`;
export const dlqTopic = (source: string): string => `${source}.dlq`;

/** Every topic the platform uses: each source topic, its retry tiers and its DLQ. */
export function topicCatalogue(tiers: readonly RetryTier[] = RetryTiers): string[] {
  return Object.values(Topics).flatMap((t) => [t, ...tiers.map((r) => retryTopic(t, r.name)), dlqTopic(t)]);
}

/** Headers carried by retry and DLQ records: original coordinates, attempt, times, error. */
export const Headers = {
  originalTopic: "x-original-topic",
  originalPartition: "x-original-partition",
  originalOffset: "x-original-offset",
  attempt: "x-attempt",
  firstFailureAt: "x-first-failure-at",
  dueAt: "x-due-at",
  errorClass: "x-error-class",
  errorMessage: "x-error-message",
  correlationId: "x-correlation-id",
  replay: "x-replay",
  /** DLQ records only: why the record was given up (fatal | poison | exhausted). */
  deadLetterReason: "x-dlq-reason",
  /** DLQ records only: when it was given up, epoch ms. */
  deadLetteredAt: "x-dead-lettered-at",
} as const;
