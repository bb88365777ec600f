/**
 * Ops alert mails, batched: at most one mail per `intervalMs`, summarising every dead letter
 * stored since the last mail. What was alerted is recorded in Postgres (dead_letters.alerted_at),
 * so a restart neither loses nor repeats an alert (except one sent just before a crash), and
 * an advisory lock lets only one DLQ consumer alert at a time, so several never mail the same
 * dead letter twice.
 */
import type { SendMailOptions } from "nodemailer";
import type { DeadLetterStore } from "../../shared/dead-letters/store.ts";
import type { DeadLetterSummary } from "../../shared/dead-letters/model.ts";
import type { Logger } from "../../shared/logger.ts";
import type { DlqMetrics } from "./metrics.ts";

export interface AlertDeps {
  readonly store: Pick<DeadLetterStore, "alertUnalerted">;
  readonly send: (mail: SendMailOptions) => Promise<unknown>;
  readonly to: string;
  readonly from: string;
  readonly intervalMs: number;
  readonly metrics: DlqMetrics;
  readonly log: Logger;
  /** Short wait before the first mail of a quiet period, so a burst lands in one mail. */
  readonly gatherMs?: number;
}

const LISTED = 50;

export function alertText(total: number, items: readonly DeadLetterSummary[]): { subject: string; text: string } {
  const byTopic = new Map<string, number>();
  for (const d of items) byTopic.set(d.original_topic, (byTopic.get(d.original_topic) ?? 0) + 1);
  const topics = [...byTopic].map(([t, n]) => `${t} ×${n}`).join(", ");
  const lines = items.map(
    (d) =>
      `#${d.id}  ${d.created_at}  ${d.original_topic}  key=${d.key ?? "-"}  ${d.dead_letter_reason ?? "?"} after ${d.attempts} attempt(s)\n` +
      `      ${d.error_class ?? "Error"}: ${d.error_message ?? ""}`,
  );
  const more = total > items.length ? `\n… and ${total - items.length} more.\n` : "";
  return {
    subject: `[payments] ${total} new dead letter${total === 1 ? "" : "s"}${topics ? ` (${topics}${total > items.length ? ", …" : ""})` : ""}`,
    text:
      `${total} record(s) were given up by the stream workers and stored as dead letters.\n\n${lines.join("\n")}\n${more}\n` +
      `Inspect:  bun run dlq list --state new   |   bun run dlq show <id>\n` +
      `Replay:   bun run dlq replay <id>   (or replay --all --state new) once the cause is fixed\n` +
      `Discard:  bun run dlq discard <id> --reason "..."\n`,
  };
}

export function createAlerter(deps: AlertDeps) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastSentAt = 0;
  let stopped = false;
  let flushing: Promise<void> | null = null;

  const schedule = (delayMs: number) => {
    if (timer !== null || stopped) return;
    timer = setTimeout(() => {
      timer = null;
      flushing = flush().finally(() => (flushing = null));
    }, delayMs);
  };

  async function flush(): Promise<void> {
    try {
      const outcome = await deps.store.alertUnalerted(LISTED, async (total, items) => {
        const { subject, text } = alertText(total, items);
        await deps.send({ from: deps.from, to: deps.to, subject, text });
        lastSentAt = Date.now();
      });
      if (outcome === "none") return;
      if (outcome === "busy") {
        // Another consumer is mailing; what it did not see yet goes in the next round.
        schedule(deps.intervalMs);
        return;
      }
      deps.metrics.alertsSent.inc();
      deps.log.info({ deadLetters: outcome.alerted }, "ops alert mail sent");
    } catch (err) {
      deps.metrics.alertFailures.inc();
      deps.log.warn({ err: String(err) }, "ops alert mail failed; retrying next interval");
      lastSentAt = Date.now();
      schedule(deps.intervalMs);
    }
  }

  return {
    /** A new dead letter was stored: make sure a mail goes out, at most one per interval. */
    notify(): void {
      const wait = Math.max(deps.gatherMs ?? Math.min(1_000, deps.intervalMs), lastSentAt + deps.intervalMs - Date.now());
      schedule(wait);
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await flushing;
    },
  };
}
