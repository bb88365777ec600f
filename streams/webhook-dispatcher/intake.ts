/**
 * The dispatcher's intake, on the stream engine: each record of Topics.merchantEvents
 * becomes that event's deliveries (store.fanOut), one Postgres transaction per event, in
 * order per payment (the engine's key order; the lanes keep the order anyway). Transient
 * failures (Postgres away) take the engine's retry tiers; a record that is not an event
 * goes to the DLQ. The webhooks themselves are sent by the delivery loop, not here.
 *
 * A replayed dead letter of this dispatcher (x-replay with x-webhook-endpoint) reopens
 * that one delivery instead: `bun run dlq replay <id>` resends the event to its endpoint.
 */
import type { Logger } from "../../shared/logger.ts";
import { EventRecord } from "../../shared/merchant-events/schema.ts";
import { Headers, Topics, WebhookHeaders } from "../../shared/topics.ts";
import { defineWorker, jsonDecoder, type InboundMessage } from "../engine/index.ts";
import type { DispatcherMetrics } from "./metrics.ts";
import type { DispatcherStore } from "./store.ts";

export type IntakeItem = { kind: "event"; record: EventRecord } | { kind: "empty" };

export interface IntakeDeps {
  readonly store: Pick<DispatcherStore, "fanOut" | "reopen">;
  readonly metrics: DispatcherMetrics;
  readonly log: Logger;
  /** New deliveries exist: the delivery loop should look now. */
  readonly onDeliveries: () => void;
}

const decodeRecord = jsonDecoder(EventRecord);

/** A record without a value is a replayed endpoint alert (it carries no event): nothing to do. */
export const decodeIntake = (msg: InboundMessage): IntakeItem => (msg.value === null ? { kind: "empty" } : { kind: "event", record: decodeRecord(msg) });

export const intakeWorker = (deps: IntakeDeps) =>
  defineWorker<IntakeItem>({
    name: "webhook-dispatcher",
    sourceTopic: Topics.merchantEvents,
    decode: decodeIntake,
    handle: async (item, ctx) => {
      const h = ctx.message.headers;
      if (item.kind === "empty") {
        deps.log.info({ replay: h[Headers.replay] }, "record without an event (a replayed endpoint alert?): nothing to do; re-enable the endpoint instead");
        return;
      }
      const { record } = item;
      const log = deps.log.child({ eventId: record.eventId, paymentId: record.paymentId, correlationId: h[Headers.correlationId] });
      const endpointId = h[WebhookHeaders.endpointId];
      if (h[Headers.replay] !== undefined && endpointId !== undefined) {
        const reopened = await deps.store.reopen(record.eventId, endpointId);
        log.info(
          { endpointId, reopened, deadLetter: h[Headers.replay] },
          reopened ? "dead letter replayed: delivery reopened" : "dead letter replayed, but its event or endpoint is gone",
        );
        if (reopened) deps.onDeliveries();
        return;
      }
      const created = await deps.store.fanOut(record.eventId);
      if (created === null) {
        log.warn({}, "event not in the database (purged after its retention?): no deliveries");
        return;
      }
      if (created > 0) {
        deps.metrics.fannedOut.inc(created);
        deps.onDeliveries();
      }
    },
  });
