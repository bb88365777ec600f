/**
 * recordEvent: the one way a merchant event is born. Called inside the transaction that
 * makes the state change (the transactional outbox), after the guarded statement that
 * made it, so the event exists exactly when the change does, and the events of one
 * payment get their sequence numbers in the order the changes took its row lock.
 *
 * One statement writes both rows:
 * - `events`: the exact JSON (body) that GET /v1/events/{id} returns and every webhook
 *   signs and sends, so those bytes never change;
 * - `outbox`: an EventRecord for Topics.merchantEvents, key = payment id (one payment's
 *   events share a partition), which the relay publishes and the webhook dispatcher reads.
 * The caller's usual outbox NOTIFY after commit wakes the relay (it publishes every topic).
 */
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { Sql, TransactionSql } from "../db/client.ts";
import { InvalidEventError } from "../events.ts";
import { Headers, Topics } from "../topics.ts";
import type { EventType } from "./catalogue.ts";
import { newEventId } from "./ids.ts";
import { API_VERSION, EventRecord, type MerchantEvent } from "./schema.ts";

/** Far above any payment or refund resource; a body past it is a bug in the caller. */
export const MAX_EVENT_BYTES = 64 * 1024;

export type RecordEventInput = {
  merchantId: string;
  paymentId: string;
  type: EventType;
  /** The resource exactly as its GET shows it now (after the change). */
  object: { id: string; object: string } & Record<string, unknown>;
  /** The request's or message's correlation id, carried in the Kafka record's headers. */
  correlationId?: string;
  /** When it happened; now by default (tests). */
  at?: Date;
};

const recordCheck = TypeCompiler.Compile(EventRecord);

/** Builds the event and its Kafka record; throws InvalidEventError for what the schema refuses. */
export function buildEvent(input: RecordEventInput, id: string = newEventId()): { record: EventRecord; body: string } {
  const at = input.at ?? new Date();
  const event: MerchantEvent = {
    id,
    object: "event",
    type: input.type,
    api_version: API_VERSION,
    created: Math.floor(at.getTime() / 1000),
    data: { object: input.object },
  };
  const record: EventRecord = {
    v: 1,
    eventId: id,
    merchantId: input.merchantId,
    paymentId: input.paymentId,
    type: input.type,
    createdAt: at.toISOString(),
    event,
  };
  if (!recordCheck.Check(record)) {
    const first = recordCheck.Errors(record).First();
    throw new InvalidEventError(`invalid merchant event at ${first?.path || "(root)"}: ${first?.message ?? "schema violation"}`);
  }
  const body = JSON.stringify(event);
  if (Buffer.byteLength(body, "utf8") > MAX_EVENT_BYTES) throw new InvalidEventError(`merchant event over ${MAX_EVENT_BYTES} bytes`);
  return { record, body };
}

/** Another outbox row written by recordEvent's statement (the transition's PaymentResult). */
export type OutboxRow = { topic: string; key: string; payload: unknown; headers: Record<string, string> };

/**
 * Inserts the event and its outbox row in `tx` (a transaction, or a pool for a write of
 * its own), with `also` in the same statement, and returns the event id.
 */
export async function recordEvent(tx: Sql | TransactionSql, input: RecordEventInput, also?: OutboxRow): Promise<string> {
  const { record, body } = buildEvent(input);
  const headers: Record<string, string> = input.correlationId ? { [Headers.correlationId]: input.correlationId } : {};
  const sql = tx as Sql;
  const other = also
    ? sql`, other AS (INSERT INTO outbox (topic, key, payload, headers) VALUES (${also.topic}, ${also.key}, ${sql.json(also.payload as never)}, ${sql.json(also.headers)}))`
    : sql``;
  await sql`
    WITH e AS (
      INSERT INTO events (id, merchant_id, type, payment_id, api_version, created_at, body)
      VALUES (${record.eventId}, ${record.merchantId}, ${record.type}, ${record.paymentId}, ${API_VERSION}, ${record.createdAt}::timestamptz, ${body})
      RETURNING id
    )${other}
    INSERT INTO outbox (topic, key, payload, headers)
    SELECT ${Topics.merchantEvents}, ${record.paymentId}, ${sql.json(record as never)}, ${sql.json(headers)} FROM e`;
  return record.eventId;
}
