/**
 * Names that do not move: Kafka topics, retry tiers and record headers.
 *
 * Changing any string in this file breaks running consumers and any record
 * already sitting in a retry topic or DLQ. Add new names; never rename.
 */

export const Topics = {
  paymentsCreated: "payments.created",
  paymentsResults: "payments.results",
  /**
   * Merchant events (shared/merchant-events/record.ts), key = payment id. In `Topics` on
   * purpose, so the relay and the workers create its retry tiers and DLQ: the webhook
   * dispatcher's intake is an ordinary engine worker (a short Postgres write per event)
   * whose transient failures take the retry tiers and whose poison reaches the DLQ
   * consumer. Webhook retries themselves are scheduled in Postgres, not here.
   */
  merchantEvents: "merchant.events",
  /** Capture, cancel and refund commands the API accepted, key = payment id (one payment's run in order). */
  paymentsCommands: "payments.commands",
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

/**
 * Not Kafka topics: the source names under which the webhook dispatcher stores dead letters
 * (dead_letters.topic) for the DLQ consumer's alert sweep. `webhook.delivery`: an event given
 * up for one endpoint (replaying it resends the event there); `webhook.endpoint`: an endpoint
 * the dispatcher disabled (replaying it does nothing; re-enable the endpoint instead).
 */
export const WEBHOOK_DELIVERY_DEAD_LETTERS = "webhook.delivery";
export const WEBHOOK_ENDPOINT_DEAD_LETTERS = "webhook.endpoint";

/** Headers of the webhook dispatcher's dead letters (and of their replays). */
export const WebhookHeaders = {
  endpointId: "x-webhook-endpoint",
  eventId: "x-event-id",
} as const;
