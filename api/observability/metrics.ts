/**
 * Prometheus metrics on a registry owned by the app instance (no global registry), so
 * tests can build many apps in one process.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type Metrics = {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  createBatchSize: Histogram<never>;
  /** Replay lag of the read replica as last measured; -1 while it does not answer. */
  replicaLag: Gauge<never>;
  replicaFallbacks: Counter<"reason">;
  rateLimited: Counter<"limit">;
  gatewayWebhooks: Counter<"connector" | "outcome">;
};

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests by route template and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by route template and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    createBatchSize: new Histogram({
      name: "payment_create_batch_size",
      help: "Payment creates committed per transaction (group commit)",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    replicaLag: new Gauge({
      name: "db_replica_lag_seconds",
      help: "Replay lag of the read replica as last measured (-1: it does not answer)",
      registers: [registry],
    }),
    replicaFallbacks: new Counter({
      name: "db_replica_fallbacks_total",
      help: "Reads sent to the primary instead of the replica, by reason (error: it failed or does not answer; lag: it trails too far)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: "http_rate_limited_total",
      help: "Requests answered 429, by limit (merchant_key, auth_failures)",
      labelNames: ["limit"],
      registers: [registry],
    }),
    gatewayWebhooks: new Counter({
      name: "gateway_webhooks_total",
      help: "Gateway webhook events received, by connector and what they did (settled, already, duplicate, pending, ignored, or an anomaly: unknown_payment, unknown_command, other_connector, mismatch, contradicts)",
      labelNames: ["connector", "outcome"],
      registers: [registry],
    }),
  };
}
