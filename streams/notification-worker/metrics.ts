/**
 * Notification metrics, registered on the worker's registry beside the engine's. `status`
 * is the mail (APPROVED, DENIED, CAPTURED, REFUND: bounded, never a refund id); a record
 * that needs no mail is counted as skipped with the record's payment status.
 */
import { Counter, Histogram, type Registry } from "prom-client";

export function createNotificationMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sent: new Counter({ name: "notifications_sent_total", help: "Customer mails accepted by the SMTP server", labelNames: ["status"], registers }),
    skipped: new Counter({
      name: "notifications_skipped_total",
      help: "Results that sent nothing, by reason: already_sent (a redelivery; or failed for good), held (authorized, not captured), canceled, refund_failed",
      labelNames: ["status", "reason"],
      registers,
    }),
    failed: new Counter({
      name: "notifications_failed_total",
      help: "Send attempts that failed, by kind: transient (retried), permanent (DLQ), rejected (address refused; recorded)",
      labelNames: ["status", "kind"],
      registers,
    }),
    resent: new Counter({
      name: "notifications_resent_total",
      help: "Sends of a mail whose claim already existed (a crash or a transient failure before); same Message-ID",
      labelNames: ["status"],
      registers,
    }),
    sendSeconds: new Histogram({
      name: "notification_smtp_send_seconds",
      help: "Time for the SMTP server to accept a mail",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
