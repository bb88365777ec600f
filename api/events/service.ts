/**
 * Events use cases: the event stream as merchants pull it, each event's delivery log, and
 * resends. Event JSON is handled as the stored text (never re-serialised).
 */
import type { Sql } from "../../shared/db/client.ts";
import type { ReplicaReads } from "../../shared/db/replica-reads.ts";
import { ApiError, badRequest, notFound } from "../../shared/http-errors.ts";
import { EventId } from "../../shared/merchant-events/schema.ts";
import type { Delivery } from "./model.ts";
import * as repo from "./repo.ts";

export type EventsServiceDeps = {
  primary: Sql;
  /** The replica when it is fit to serve, else the primary (shared/db/replica-reads.ts). */
  reads: ReplicaReads;
};

const EVENT_ID = new RegExp(EventId.pattern!);
const noSuchEvent = () => notFound("No such event.", "id");

export function createEventsService(deps: EventsServiceDeps) {
  /** Replica first; a miss may be replication lag, so the primary is asked before 404. */
  async function get(merchantId: string, id: string): Promise<string> {
    if (!EVENT_ID.test(id)) throw noSuchEvent();
    const body = (await deps.reads.read((sql) => repo.findEventBody(sql, merchantId, id))) ?? (await repo.findEventBody(deps.primary, merchantId, id));
    if (body === undefined) throw noSuchEvent();
    return body;
  }

  /** A page of event bodies, newest first; may trail the newest writes by the replica's lag bound. */
  function list(merchantId: string, q: { limit: number; startingAfter?: string; type?: string }) {
    return deps.reads.read((sql) => repo.listEventBodies(sql, { merchantId, ...q }));
  }

  /** From the primary: the log is read to see what just happened. */
  async function deliveries(merchantId: string, id: string): Promise<Delivery[]> {
    if (!EVENT_ID.test(id)) throw noSuchEvent();
    const found = await repo.deliveriesOf(deps.primary, merchantId, id);
    if (found === undefined) throw noSuchEvent();
    return found;
  }

  async function resend(merchantId: string, id: string, endpointId?: string): Promise<Delivery[]> {
    if (!EVENT_ID.test(id)) throw noSuchEvent();
    const outcome = await deps.primary.begin((tx) => repo.resend(tx, merchantId, id, endpointId));
    switch (outcome.kind) {
      case "no_event":
        throw noSuchEvent();
      case "no_endpoint":
        throw notFound("No such webhook endpoint.", "webhook_endpoint");
      case "endpoint_disabled":
        throw new ApiError(
          400,
          "invalid_request_error",
          "webhook_endpoint_disabled",
          "That webhook endpoint is disabled; enable it first.",
          "webhook_endpoint",
        );
      case "nobody_subscribed":
        throw badRequest(
          "no_webhook_endpoints",
          "No enabled webhook endpoint subscribes to this event's type; name one in webhook_endpoint.",
          "webhook_endpoint",
        );
      case "reopened":
        return (await repo.deliveriesOf(deps.primary, merchantId, id, outcome.endpointIds)) ?? [];
    }
  }

  return { get, list, deliveries, resend };
}

export type EventsService = ReturnType<typeof createEventsService>;
