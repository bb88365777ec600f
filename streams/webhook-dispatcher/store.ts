/**
 * The webhook dispatcher's SQL (migration 0013): fan-out of an event into deliveries, the
 * claim of due lane heads, an attempt's result, dead letters for the DLQ consumer's alert
 * sweep, the retention purge, the backlog. Lanes (shared/merchant-events/lanes.ts): every
 * change to a payment's pending deliveries holds its lane lock and re-activates its heads.
 */
import type { Sql, TransactionSql } from "../../shared/db/client.ts";
import { activateLaneHeads, lockPaymentLanes, reopenDeliveries } from "../../shared/merchant-events/lanes.ts";
import { Headers, Topics, WEBHOOK_DELIVERY_DEAD_LETTERS, WEBHOOK_ENDPOINT_DEAD_LETTERS, WebhookHeaders } from "../../shared/topics.ts";

/** A claimed attempt: everything the request needs, read in the claim's transaction. */
export type Claimed = {
  deliveryId: string;
  attemptId: string;
  attempt: number;
  eventId: string;
  paymentId: string;
  endpointId: string;
  url: string;
  body: string;
  /** Valid signing secrets, newest first. */
  secrets: string[];
  eventCreatedAt: Date;
};

export type AttemptResult =
  | { outcome: "delivered"; statusCode: number; durationMs: number }
  | { outcome: "failed"; statusCode: number | null; durationMs: number; error: string }
  /** The destination is not allowed (SSRF policy): never retried, the endpoint is disabled. */
  | { outcome: "refused"; durationMs: number; error: string };

/** What the store decided after an attempt (the metrics count these). */
export type Settled = { kind: "delivered"; latencyMs: number } | { kind: "retry"; at: Date } | { kind: "dead"; reason: string } | { kind: "lease_lost" };

/** Pure policy the store asks after a failure, on the database's clock. */
export type FailurePolicy = {
  afterFailure(p: { attempts: number; firstAttemptAt: Date; now: Date }): { kind: "retry"; at: Date } | { kind: "give_up" };
  shouldDisable(failingSince: Date, now: Date): boolean;
};

const MAX_ERROR = 500;
const bounded = (s: string) => (s.length > MAX_ERROR ? `${s.slice(0, MAX_ERROR - 1)}…` : s);

/** Advisory lock that lets one dispatcher at a time run the purge (any fixed 64-bit value). */
const PURGE_LOCK_ID = "7305716282337113777";

/** The host of a URL, for alerts and logs: a URL's path or query may carry the merchant's own token. */
export const hostForLog = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
};

export function dispatcherStore(sql: Sql, opts: { pool: string; leaseMs: number; policy: FailurePolicy }) {
  /** The Kafka record of an event, rebuilt around its exact body: a dead letter's payload, replayable as is. */
  async function eventRecordBytes(tx: TransactionSql, eventId: string): Promise<Buffer | null> {
    const [e] = await tx<{ id: string; merchant_id: string; payment_id: string; type: string; created_at: Date; body: string }[]>`
      SELECT id, merchant_id, payment_id, type, created_at, body FROM events WHERE id = ${eventId}`;
    if (!e) return null;
    const head = JSON.stringify({
      v: 1,
      eventId: e.id,
      merchantId: e.merchant_id,
      paymentId: e.payment_id,
      type: e.type,
      createdAt: e.created_at.toISOString(),
    });
    return Buffer.from(`${head.slice(0, -1)},"event":${e.body}}`, "utf8");
  }

  async function deadLetter(
    tx: TransactionSql,
    d: {
      source: string;
      offset: string;
      key: string;
      payload: Buffer | null;
      headers: Record<string, string>;
      errorClass: string;
      message: string;
      attempts: number;
    },
  ): Promise<void> {
    const headers = { ...d.headers, [Headers.originalTopic]: Topics.merchantEvents, [Headers.deadLetteredAt]: String(Date.now()) };
    await tx`
      INSERT INTO dead_letters (topic, "partition", "offset", key, payload, headers, error_class, error_message, attempts, original_topic)
      VALUES (${d.source}, 0, ${d.offset}::bigint, ${d.key}, ${d.payload}, ${tx.json(headers)}, ${d.errorClass}, ${bounded(d.message)},
              ${d.attempts}, ${Topics.merchantEvents})
      ON CONFLICT (topic, "partition", "offset") DO NOTHING`;
  }

  /** Stops an endpoint's deliveries (they wait, pending) and tells the operators. */
  async function disableEndpoint(
    tx: TransactionSql,
    endpointId: string,
    reason: "failing" | "destination_refused",
    why: string,
    attemptId: string,
  ): Promise<boolean> {
    const [ep] = await tx<{ merchant_id: string; url: string }[]>`
      UPDATE webhook_endpoints SET enabled = false, disabled_reason = ${reason}, disabled_at = now(), updated_at = now()
       WHERE id = ${endpointId} AND enabled
      RETURNING merchant_id, url`;
    if (!ep) return false;
    await tx`UPDATE webhook_deliveries SET next_attempt_at = NULL WHERE endpoint_id = ${endpointId} AND state = 'pending'`;
    await deadLetter(tx, {
      source: WEBHOOK_ENDPOINT_DEAD_LETTERS,
      offset: attemptId,
      key: endpointId,
      payload: null,
      headers: { [WebhookHeaders.endpointId]: endpointId, [Headers.deadLetterReason]: `endpoint_${reason}` },
      errorClass: "WebhookEndpointDisabled",
      message:
        `webhook endpoint ${endpointId} of merchant ${ep.merchant_id} (${hostForLog(ep.url)}) disabled: ${why}. ` +
        "Its pending deliveries wait until the merchant re-enables it (PATCH enabled=true).",
      attempts: 0,
    });
    return true;
  }

  return {
    /**
     * Creates the event's deliveries: one per enabled endpoint of its merchant that subscribes
     * to its type and existed when it happened, and, in the same way, those of the earlier
     * events of its payment that are still missing (Kafka may hand them over later: retry
     * tiers, several relays), so a lane never starts with a later event. Idempotent.
     * Returns null when the event is not in this database (purged), else how many were new.
     */
    async fanOut(eventId: string): Promise<number | null> {
      return sql.begin(async (tx) => {
        const [ev] = await tx<{ payment_id: string; merchant_id: string; seq: string }[]>`
          SELECT payment_id, merchant_id, seq FROM events WHERE id = ${eventId}`;
        if (!ev) return null;
        await lockPaymentLanes(tx, ev.payment_id);
        const inserted = await tx`
          INSERT INTO webhook_deliveries (event_id, endpoint_id, merchant_id, payment_id, event_seq, pool, state, next_attempt_at)
          SELECT e.id, ep.id, e.merchant_id, e.payment_id, e.seq, ep.pool, 'pending', NULL
            FROM events e
            JOIN webhook_endpoints ep
              ON ep.merchant_id = e.merchant_id AND ep.enabled AND ep.deleted_at IS NULL AND ep.created_at <= e.created_at
             AND (e.type = ANY(ep.enabled_events) OR '*' = ANY(ep.enabled_events))
           WHERE e.payment_id = ${ev.payment_id} AND e.merchant_id = ${ev.merchant_id} AND e.seq <= ${ev.seq}::bigint
           ORDER BY e.seq
          ON CONFLICT (event_id, endpoint_id) DO NOTHING`;
        if (inserted.count > 0) await activateLaneHeads(tx, ev.payment_id);
        return inserted.count;
      });
    },

    /** An operator replayed a dead letter of this event and endpoint: a new round, as a resend. */
    async reopen(eventId: string, endpointId: string): Promise<boolean> {
      return sql.begin(async (tx) => {
        const [ev] = await tx<{ id: string; payment_id: string }[]>`SELECT id, payment_id FROM events WHERE id = ${eventId}`;
        if (!ev) return false;
        return (await reopenDeliveries(tx, ev, [endpointId])).length > 0;
      });
    },

    /**
     * Leases up to `limit` due lane heads of this pool: pending, due, not leased, the lowest
     * event of their lane with no other delivery of the lane in flight, on an enabled
     * endpoint. Each gets an attempt row (in_flight) now; an attempt a dead dispatcher left
     * in flight is marked interrupted.
     */
    async claim(limit: number): Promise<Claimed[]> {
      return sql.begin(async (tx) => {
        const leased = await tx<{ id: string; attempt_id: string; attempt: number }[]>`
          WITH picked AS (
            SELECT d.id, d.attempts, d.lease_attempt_id
              FROM webhook_deliveries d
             WHERE d.pool = ${opts.pool} AND d.state = 'pending' AND d.next_attempt_at <= now()
               AND (d.leased_until IS NULL OR d.leased_until < now())
               AND NOT EXISTS (
                     SELECT 1 FROM webhook_deliveries o
                      WHERE o.payment_id = d.payment_id AND o.endpoint_id = d.endpoint_id AND o.state = 'pending'
                        AND o.id <> d.id AND (o.event_seq < d.event_seq OR o.leased_until > now()))
               AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.enabled)
             ORDER BY d.next_attempt_at
             LIMIT ${limit}
               FOR UPDATE OF d SKIP LOCKED
          ), interrupted AS (
            UPDATE webhook_attempts a SET outcome = 'interrupted', error = 'the dispatcher stopped before the answer was recorded'
              FROM picked p WHERE a.id = p.lease_attempt_id AND a.outcome = 'in_flight'
          ), started AS (
            INSERT INTO webhook_attempts (delivery_id, attempt, outcome)
            SELECT id, attempts + 1, 'in_flight' FROM picked
            RETURNING id, delivery_id, attempt
          )
          UPDATE webhook_deliveries d
             SET leased_until = now() + make_interval(secs => ${opts.leaseMs / 1000}), lease_attempt_id = s.id, attempts = s.attempt,
                 first_attempt_at = coalesce(d.first_attempt_at, now()), last_attempt_at = now()
            FROM started s
           WHERE d.id = s.delivery_id
          RETURNING d.id, s.id AS attempt_id, s.attempt`;
        if (leased.length === 0) return [];
        const rows = await tx<
          { id: string; event_id: string; payment_id: string; endpoint_id: string; url: string; body: string; secrets: string[]; created_at: Date }[]
        >`
          SELECT d.id, d.event_id, d.payment_id, d.endpoint_id, ep.url, e.body, e.created_at,
                 array(SELECT s.secret FROM webhook_endpoint_secrets s
                        WHERE s.endpoint_id = ep.id AND (s.expires_at IS NULL OR s.expires_at > now())
                        ORDER BY s.id DESC) AS secrets
            FROM webhook_deliveries d
            JOIN events e ON e.id = d.event_id
            JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
           WHERE d.id = ANY(${leased.map((l) => l.id)}::bigint[])`;
        const byId = new Map(rows.map((r) => [String(r.id), r]));
        return leased.flatMap((l) => {
          const r = byId.get(String(l.id));
          if (!r) return [];
          return [
            {
              deliveryId: String(l.id),
              attemptId: String(l.attempt_id),
              attempt: l.attempt,
              eventId: r.event_id,
              paymentId: r.payment_id,
              endpointId: r.endpoint_id,
              url: r.url,
              body: r.body,
              secrets: r.secrets,
              eventCreatedAt: r.created_at,
            },
          ];
        });
      });
    },

    /**
     * Records an attempt's result and decides what follows: delivered (the lane's next event
     * becomes due), a retry at the schedule's next time, or dead (given up, or the destination
     * refused). The attempt row is completed even when the lease was lost meanwhile (another
     * dispatcher took the delivery): it is the truth about that request; the delivery is then
     * left to its new owner.
     */
    async settle(c: Claimed, r: AttemptResult): Promise<Settled> {
      return sql.begin(async (tx) => {
        await tx`
          UPDATE webhook_attempts
             SET outcome = ${r.outcome}, duration_ms = ${Math.round(r.durationMs)},
                 status_code = ${r.outcome === "refused" ? null : r.statusCode}, error = ${r.outcome === "delivered" ? null : bounded(r.error)}
           WHERE id = ${c.attemptId}::bigint`;
        await lockPaymentLanes(tx, c.paymentId);
        const [d] = await tx<{ attempts: number; first_attempt_at: Date; now: Date; failing_since: Date | null }[]>`
          SELECT d.attempts, d.first_attempt_at, now() AS now, ep.failing_since
            FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
           WHERE d.id = ${c.deliveryId}::bigint AND d.lease_attempt_id = ${c.attemptId}::bigint AND d.state = 'pending'
             FOR UPDATE OF d`;
        if (!d) return { kind: "lease_lost" as const };
        const status = r.outcome === "refused" ? null : r.statusCode;

        if (r.outcome === "delivered") {
          await tx`
            UPDATE webhook_deliveries
               SET state = 'delivered', delivered_at = now(), leased_until = NULL, next_attempt_at = NULL,
                   last_status = ${status}, last_error = NULL
             WHERE id = ${c.deliveryId}::bigint`;
          await tx`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ${c.endpointId} AND failing_since IS NOT NULL`;
          await activateLaneHeads(tx, c.paymentId);
          return { kind: "delivered" as const, latencyMs: d.now.getTime() - c.eventCreatedAt.getTime() };
        }

        const error = bounded(r.error);
        const die = async (reason: string, why: string): Promise<Settled> => {
          await tx`
            UPDATE webhook_deliveries
               SET state = 'dead', dead_at = now(), dead_reason = ${reason}, leased_until = NULL, next_attempt_at = NULL,
                   last_status = ${status}, last_error = ${error}
             WHERE id = ${c.deliveryId}::bigint`;
          await activateLaneHeads(tx, c.paymentId);
          if (reason === "expired") {
            await deadLetter(tx, {
              source: WEBHOOK_DELIVERY_DEAD_LETTERS,
              offset: c.attemptId,
              key: c.paymentId,
              payload: await eventRecordBytes(tx, c.eventId),
              headers: { [WebhookHeaders.endpointId]: c.endpointId, [WebhookHeaders.eventId]: c.eventId, [Headers.deadLetterReason]: "exhausted" },
              errorClass: "WebhookDeliveryExpired",
              message: `event ${c.eventId} given up for endpoint ${c.endpointId} (${hostForLog(c.url)}): ${why}; last error: ${error}`,
              attempts: d.attempts,
            });
          }
          return { kind: "dead", reason };
        };

        if (r.outcome === "refused") {
          await disableEndpoint(tx, c.endpointId, "destination_refused", `its destination was refused at delivery: ${error}`, c.attemptId);
          return die("destination_refused", "destination refused");
        }

        await tx`UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = ${c.endpointId}`;
        const failingSince = d.failing_since ?? d.now;
        const next = opts.policy.afterFailure({ attempts: d.attempts, firstAttemptAt: d.first_attempt_at, now: d.now });
        let settled: Settled;
        if (next.kind === "give_up") {
          settled = await die("expired", `failed ${d.attempts} attempt(s) over ${Math.round((d.now.getTime() - d.first_attempt_at.getTime()) / 60_000)} min`);
        } else {
          await tx`
            UPDATE webhook_deliveries
               SET next_attempt_at = ${next.at}, leased_until = NULL, last_status = ${status}, last_error = ${error}
             WHERE id = ${c.deliveryId}::bigint`;
          settled = { kind: "retry", at: next.at };
        }
        if (opts.policy.shouldDisable(failingSince, d.now)) {
          await disableEndpoint(tx, c.endpointId, "failing", `every attempt has failed since ${failingSince.toISOString()}`, c.attemptId);
        }
        return settled;
      });
    },

    /**
     * Deletes up to `batch` events older than the retention window, with their deliveries and
     * attempts, and makes due whatever waited behind a pending delivery that went with them.
     * One dispatcher at a time (advisory lock); returns how many went, null when another ran.
     */
    async purge(retentionMs: number, batch: number): Promise<number | null> {
      return sql.begin(async (tx) => {
        const [lock] = await tx<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(${PURGE_LOCK_ID}::bigint) AS ok`;
        if (!lock?.ok) return null;
        const old = await tx<{ id: string; payment_id: string }[]>`
          SELECT id, payment_id FROM events
           WHERE created_at < now() - make_interval(secs => ${retentionMs / 1000})
           ORDER BY created_at LIMIT ${batch}`;
        if (old.length === 0) return 0;
        const payments = [...new Set(old.map((e) => e.payment_id))].sort();
        // In a fixed order: other writers take one payment's lock at a time, so no cycle.
        for (const p of payments) await lockPaymentLanes(tx, p);
        await tx`DELETE FROM events WHERE id = ANY(${old.map((e) => e.id)}::text[])`;
        for (const p of payments) await activateLaneHeads(tx, p);
        await tx`DELETE FROM webhook_endpoint_secrets WHERE expires_at < now()`;
        return old.length;
      });
    },

    /** Pending deliveries of this pool per endpoint, largest first, and the total. */
    async backlog(top: number): Promise<{ total: number; byEndpoint: { endpointId: string; n: number }[] }> {
      const rows = await sql<{ endpoint_id: string; n: number }[]>`
        SELECT endpoint_id, count(*)::int AS n FROM webhook_deliveries
         WHERE state = 'pending' AND pool = ${opts.pool}
         GROUP BY endpoint_id ORDER BY n DESC, endpoint_id`;
      return { total: rows.reduce((s, r) => s + r.n, 0), byEndpoint: rows.slice(0, top).map((r) => ({ endpointId: r.endpoint_id, n: r.n })) };
    },

    /**
     * The safety net under the lane rule: a waiting delivery that is the head of its lane on
     * an enabled endpoint should not exist (whoever finished its predecessor made it due).
     * Makes any such one due and returns how many; anything above 0 is a bug worth a log line.
     */
    async unstick(): Promise<number> {
      const res = await sql`
        UPDATE webhook_deliveries d SET next_attempt_at = now()
         WHERE d.state = 'pending' AND d.next_attempt_at IS NULL AND d.pool = ${opts.pool}
           AND d.created_at < now() - interval '1 minute'
           AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id AND e.enabled)
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o
                            WHERE o.payment_id = d.payment_id AND o.endpoint_id = d.endpoint_id
                              AND o.state = 'pending' AND o.event_seq < d.event_seq)`;
      return res.count;
    },
  };
}

export type DispatcherStore = ReturnType<typeof dispatcherStore>;
