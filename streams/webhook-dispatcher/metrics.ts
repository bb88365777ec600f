/** Webhook metrics, on the worker's registry beside the engine's (its /metrics). */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createDispatcherMetrics(registry: Registry) {
  const registers = [registry];
  return {
    deliveries: new Counter({
      name: "webhook_deliveries_total",
      help: "Webhook attempts by outcome: delivered (2xx), failed (will retry), dead (given up for its endpoint), refused (destination not allowed)",
      labelNames: ["outcome"],
      registers,
    }),
    seconds: new Histogram({
      name: "webhook_delivery_seconds",
      help: "Time from sending a webhook to its answer's status line (or the failure)",
      labelNames: ["outcome"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    latency: new Histogram({
      name: "webhook_event_delivered_seconds",
      help: "Time from an event happening to its webhook being delivered (retries included)",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 86400],
      registers,
    }),
    backlog: new Gauge({
      name: "webhook_backlog",
      help: 'Pending deliveries of this dispatcher\'s pool by endpoint: the largest few by id, the rest under endpoint="other"',
      labelNames: ["endpoint"],
      registers,
    }),
    backlogTotal: new Gauge({ name: "webhook_backlog_total", help: "Pending deliveries of this dispatcher's pool", registers }),
    fannedOut: new Counter({
      name: "webhook_deliveries_created_total",
      help: "Deliveries created by the intake (one per event and subscribed endpoint)",
      registers,
    }),
    unstuck: new Counter({ name: "webhook_deliveries_unstuck_total", help: "Waiting lane heads the safety sweep made due (should stay 0)", registers }),
    purged: new Counter({ name: "webhook_events_purged_total", help: "Events deleted after the retention window", registers }),
    leaseLost: new Counter({ name: "webhook_leases_lost_total", help: "Attempts whose lease ran out before their result was recorded", registers }),
  };
}

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;
