/**
 * Where a failed record goes next: a retry tier or the DLQ (Spring Kafka's
 * non-blocking retries), and the record that carries it there.
 *
 * `x-attempt` counts failed deliveries: a record failing on the main topic
 * goes to tier 0 with `x-attempt: 1`; the one failing on the last tier (after
 * `attemptsOnLastTier` tries there) goes to the DLQ. Times in headers are epoch
 * milliseconds as decimal strings: exact and cheap to parse on every retry delivery.
 */
import { Headers, RetryTiers, dlqTopic, retryTopic, type RetryTier } from "../../shared/topics.ts";
import { errorClassOf, errorMessageOf } from "./errors.ts";
import type { InboundMessage, OutboundRecord } from "./ports.ts";

export interface RetryPolicy {
  /** Delay tiers in order; their names are part of the retry topic names. */
  readonly tiers: readonly RetryTier[];
  /** Deliveries from the last tier before the DLQ (>= 1). */
  readonly attemptsOnLastTier: number;
  /** Extra delay as a fraction of the tier delay, drawn uniformly in [0, jitter): spreads a burst, never early. */
  readonly jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = { tiers: RetryTiers, attemptsOnLastTier: 1, jitter: 0.1 };

/** Tiers growing exponentially: base, base*factor, ... Names must match topics that exist (see topicCatalogue). */
export function exponentialTiers(baseMs: number, factor: number, count: number): RetryTier[] {
  return Array.from({ length: count }, (_, i) => {
    const delayMs = Math.round(baseMs * factor ** i);
    return { name: delayMs % 1000 === 0 ? `${delayMs / 1000}s` : `${delayMs}ms`, delayMs };
  });
}

export type DeadLetterReason = "fatal" | "poison" | "exhausted";

export type FailureRoute =
  | { readonly kind: "retry"; readonly topic: string; readonly tier: RetryTier; readonly attempt: number; readonly dueAt: number }
  | { readonly kind: "dlq"; readonly topic: string; readonly reason: DeadLetterReason; readonly attempt: number };

/** Failed deliveries before this one (0 on the main topic). */
export const priorAttempts = (msg: InboundMessage): number => {
  const n = Number(msg.headers[Headers.attempt] ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
};

export const sourceTopicOf = (msg: InboundMessage): string => msg.headers[Headers.originalTopic] ?? msg.topic;

/** Due time of a retry record, or 0 when it has none (a main-topic record is always due). */
export function dueAtOf(msg: InboundMessage): number {
  const raw = msg.headers[Headers.dueAt];
  if (raw === undefined) return 0;
  const n = Number(raw);
  return Number.isFinite(n) ? n : 0;
}

export function routeFailure(policy: RetryPolicy, msg: InboundMessage, verdict: "retry" | "fatal" | "poison", now: number, random: () => number): FailureRoute {
  const attempt = priorAttempts(msg) + 1;
  const source = sourceTopicOf(msg);
  if (verdict !== "retry") return { kind: "dlq", topic: dlqTopic(source), reason: verdict, attempt };
  const last = policy.tiers.length - 1;
  if (last < 0 || attempt > last + Math.max(1, policy.attemptsOnLastTier)) {
    return { kind: "dlq", topic: dlqTopic(source), reason: "exhausted", attempt };
  }
  const tier = policy.tiers[Math.min(attempt - 1, last)] as RetryTier;
  const delay = Math.ceil(tier.delayMs * (1 + policy.jitter * random()));
  return { kind: "retry", topic: retryTopic(source, tier.name), tier, attempt, dueAt: now + delay };
}

/**
 * The record sent to a retry topic or the DLQ: same key and bytes, every
 * original header (so the correlation id travels), the original coordinates
 * kept from the first failure, and this failure's attempt, due time and error.
 */
export function failureRecord(msg: InboundMessage, route: FailureRoute, err: unknown, now: number): OutboundRecord {
  const h = msg.headers;
  const headers: Record<string, string> = {
    ...h,
    [Headers.originalTopic]: h[Headers.originalTopic] ?? msg.topic,
    [Headers.originalPartition]: h[Headers.originalPartition] ?? String(msg.partition),
    [Headers.originalOffset]: h[Headers.originalOffset] ?? msg.offset,
    [Headers.attempt]: String(route.attempt),
    [Headers.firstFailureAt]: h[Headers.firstFailureAt] ?? String(now),
    [Headers.errorClass]: errorClassOf(err),
    [Headers.errorMessage]: errorMessageOf(err),
  };
  if (route.kind === "retry") headers[Headers.dueAt] = String(route.dueAt);
  else {
    headers[Headers.deadLetterReason] = route.reason;
    headers[Headers.deadLetteredAt] = String(now);
  }
  return { topic: route.topic, key: msg.key, value: msg.value, headers };
}
