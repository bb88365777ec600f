import { Counter, type Registry } from "prom-client";

export function createDlqMetrics(registry: Registry) {
  const registers = [registry];
  return {
    deadLetters: new Counter({ name: "dead_letters_total", help: "Dead letters stored, by original topic", labelNames: ["topic"], registers }),
    storeFailures: new Counter({ name: "dead_letter_store_failures_total", help: "Failed attempts to store a dead letter (retried)", registers }),
    alertsSent: new Counter({ name: "dead_letter_alerts_sent_total", help: "Ops alert mails sent", registers }),
    alertFailures: new Counter({ name: "dead_letter_alert_failures_total", help: "Ops alert mails that failed (retried next interval)", registers }),
  };
}

export type DlqMetrics = ReturnType<typeof createDlqMetrics>;
