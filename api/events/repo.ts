/**
 * Events and delivery-log SQL (migration 0013), scoped by merchant. Event bodies are read
 * as stored text and returned as they are: the bytes a merchant fetches are the bytes its
 * webhooks were signed over.
 */
import type { Sql, TransactionSql } from "../../shared/db/client.ts";
import { ALL_EVENTS } from "../../shared/merchant-events/catalogue.ts";
import { reopenDeliveries } from "../../shared/merchant-events/lanes.ts";
import type { Delivery } from "./model.ts";

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export async function findEventBody(sql: Sql, merchantId: string, id: string): Promise<string | undefined> {
  const rows = await sql<{ body: string }[]>`SELECT body FROM events WHERE merchant_id = ${merchantId} AND id = ${id}`;
  return rows[0]?.body;
}

/** Newest first; ids are time-ordered, so the cursor is "below the last id seen". */
export async function listEventBodies(sql: Sql, p: { merchantId: string; limit: number; startingAfter?: string; type?: string }) {
  const rows = await sql.unsafe<{ body: string }[]>(
    `SELECT body FROM events
      WHERE merchant_id = $1 AND ($2::text IS NULL OR id < $2) AND ($3::text IS NULL OR type = $3)
      ORDER BY id DESC LIMIT $4`,
    [p.merchantId, p.startingAfter ?? null, p.type ?? null, p.limit + 1],
    { prepare: true },
  );
  return { bodies: rows.slice(0, p.limit).map((r) => r.body), hasMore: rows.length > p.limit };
}

type DeliveryRow = {
  id: string;
  event_id: string;
  endpoint_id: string;
  state: Delivery["status"];
  dead_reason: string | null;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  attempts: number;
  resends: number;
  created_at: Date;
};
type AttemptRow = {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number | null;
  status_code: number | null;
  outcome: Delivery["attempts"][number]["outcome"];
  error: string | null;
};

const MAX_DELIVERIES = 100;
const MAX_ATTEMPTS = 100;

/** The event's deliveries (one per endpoint) with their attempts; undefined when the event is not the merchant's. */
export async function deliveriesOf(
  sql: Sql | TransactionSql,
  merchantId: string,
  eventId: string,
  endpointIds?: readonly string[],
): Promise<Delivery[] | undefined> {
  const q = sql as Sql;
  const [event] = await q`SELECT id FROM events WHERE merchant_id = ${merchantId} AND id = ${eventId}`;
  if (!event) return undefined;
  const deliveries = await q<DeliveryRow[]>`
    SELECT id, event_id, endpoint_id, state, dead_reason, next_attempt_at, delivered_at, attempts, resends, created_at
      FROM webhook_deliveries
     WHERE event_id = ${eventId} ${endpointIds ? q`AND endpoint_id = ANY(${endpointIds as string[]}::text[])` : q``}
     ORDER BY id LIMIT ${MAX_DELIVERIES}`;
  if (deliveries.length === 0) return [];
  const attempts = await q<AttemptRow[]>`
    SELECT delivery_id, attempt, started_at, duration_ms, status_code, outcome, error FROM (
      SELECT a.*, row_number() OVER (PARTITION BY a.delivery_id ORDER BY a.id DESC) AS newest
        FROM webhook_attempts a WHERE a.delivery_id = ANY(${deliveries.map((d) => d.id)}::bigint[])
    ) x WHERE newest <= ${MAX_ATTEMPTS} ORDER BY delivery_id, id`;
  const byDelivery = new Map<string, AttemptRow[]>();
  for (const a of attempts) byDelivery.set(String(a.delivery_id), [...(byDelivery.get(String(a.delivery_id)) ?? []), a]);
  return deliveries.map((d) => ({
    object: "webhook_delivery" as const,
    event: d.event_id,
    webhook_endpoint: d.endpoint_id,
    status: d.state,
    dead_reason: d.dead_reason,
    next_attempt_at: d.state === "pending" ? iso(d.next_attempt_at) : null,
    delivered_at: iso(d.delivered_at),
    attempt_count: d.attempts,
    resends: d.resends,
    created_at: d.created_at.toISOString(),
    attempts: (byDelivery.get(String(d.id)) ?? []).map((a) => ({
      attempt: a.attempt,
      attempted_at: a.started_at.toISOString(),
      duration_ms: a.duration_ms,
      status_code: a.status_code,
      outcome: a.outcome,
      error: a.error,
    })),
  }));
}

export type ResendTarget =
  | { kind: "no_event" }
  | { kind: "no_endpoint" }
  | { kind: "endpoint_disabled" }
  | { kind: "nobody_subscribed" }
  | { kind: "reopened"; endpointIds: string[] };

/**
 * Reopens the event's deliveries: to the one endpoint named (any of the merchant's enabled
 * ones, subscribed or not), or to every enabled endpoint that subscribes to its type.
 */
export async function resend(tx: TransactionSql, merchantId: string, eventId: string, endpointId?: string): Promise<ResendTarget> {
  const [event] = await tx<{ id: string; payment_id: string; type: string }[]>`
    SELECT id, payment_id, type FROM events WHERE merchant_id = ${merchantId} AND id = ${eventId}`;
  if (!event) return { kind: "no_event" };
  let targets: string[];
  if (endpointId !== undefined) {
    const [ep] = await tx<{ enabled: boolean }[]>`
      SELECT enabled FROM webhook_endpoints WHERE merchant_id = ${merchantId} AND id = ${endpointId} AND deleted_at IS NULL`;
    if (!ep) return { kind: "no_endpoint" };
    if (!ep.enabled) return { kind: "endpoint_disabled" };
    targets = [endpointId];
  } else {
    const rows = await tx<{ id: string }[]>`
      SELECT id FROM webhook_endpoints
       WHERE merchant_id = ${merchantId} AND deleted_at IS NULL AND enabled
         AND (${event.type} = ANY(enabled_events) OR ${ALL_EVENTS} = ANY(enabled_events))
       ORDER BY id`;
    targets = rows.map((r) => r.id);
    if (targets.length === 0) return { kind: "nobody_subscribed" };
  }
  const reopened = await reopenDeliveries(tx, event, targets);
  return { kind: "reopened", endpointIds: reopened.map((r) => r.endpoint_id) };
}
