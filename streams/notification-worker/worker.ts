/**
 * Notification worker: one email per (payment, final status), on the stream engine.
 *
 * Per PaymentResult: load payment + merchant → claim the send (Postgres) → render → SMTP →
 * mark sent. Redeliveries of a sent mail do nothing; a crash between SMTP acceptance and the
 * mark resends with the same Message-ID (the only duplicate possible).
 */
import type { SendMailOptions } from "nodemailer";
import type { Logger } from "../../shared/logger.ts";
import { PaymentResult } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import { FatalError, RetryableError, defineWorker, jsonDecoder } from "../engine/index.ts";
import { composeMail, messageIdFor } from "./compose.ts";
import type { NotificationMetrics } from "./metrics.ts";
import type { TemplateName, TemplatePair } from "./render.ts";
import { classifySmtpError, describeSmtpError } from "./smtp.ts";
import type { NotificationStore } from "./store.ts";

export interface NotificationDeps {
  readonly store: NotificationStore;
  readonly send: (mail: SendMailOptions) => Promise<unknown>;
  readonly templates: Readonly<Record<TemplateName, TemplatePair>>;
  readonly metrics: NotificationMetrics;
  readonly log: Logger;
  /** `From:` of customer mails. */
  readonly from: string;
  /** Right-hand side of the Message-ID. */
  readonly messageIdDomain: string;
  readonly sourceTopic?: string;
}

export const notificationWorker = (deps: NotificationDeps) =>
  defineWorker<PaymentResult>({
    name: "notification-worker",
    sourceTopic: deps.sourceTopic ?? Topics.paymentsResults,
    decode: jsonDecoder(PaymentResult),
    handle: async (result, ctx) => {
      const h = ctx.message.headers;
      const log = deps.log.child({ correlationId: h[Headers.correlationId], paymentId: result.paymentId, status: result.status, attempt: ctx.attempt });
      const payment = await deps.store.loadPayment(result.paymentId);
      // The outbox commits the result with the payment row, so a result without its payment is bad data, not a race.
      if (payment === undefined) throw new FatalError(`payment ${result.paymentId} not found`);
      if (payment.merchant_id !== result.merchantId) throw new FatalError(`payment ${result.paymentId} belongs to another merchant`);

      const key = { paymentId: result.paymentId, status: result.status };
      const claim = await deps.store.claim(key, messageIdFor(result.paymentId, result.status, deps.messageIdDomain), h[Headers.replay] !== undefined);
      if (claim === null) {
        deps.metrics.skipped.inc({ status: result.status });
        log.info({}, "mail already sent; nothing to do");
        return;
      }
      if (claim.attempts > 1) deps.metrics.resent.inc({ status: result.status });

      const mail = composeMail(deps.templates, payment, result);
      const started = performance.now();
      try {
        await deps.send({
          from: deps.from,
          to: payment.customer_name ? { name: payment.customer_name, address: payment.customer_email } : payment.customer_email,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: claim.messageId,
          headers: h[Headers.correlationId] ? { "X-Correlation-Id": h[Headers.correlationId] } : {},
        });
      } catch (err) {
        const kind = classifySmtpError(err);
        const why = describeSmtpError(err);
        deps.metrics.failed.inc({ status: result.status, kind });
        // The reply may quote the address: it is stored with the notification, not logged.
        const code = (err as { responseCode?: number; code?: string }).responseCode ?? (err as { code?: string }).code;
        if (kind === "transient") {
          await deps.store.recordError(key, why);
          log.warn({ smtp: code }, "mail not sent; will retry");
          throw new RetryableError(`SMTP transient failure (${code})`);
        }
        await deps.store.markFailed(key, why);
        if (kind === "rejected") {
          log.warn({ smtp: code }, "recipient rejected permanently; recorded, not retried");
          return;
        }
        log.error({ smtp: code }, "SMTP refused the mail permanently; dead-lettering");
        throw new FatalError(`SMTP permanent failure (${code})`);
      }
      deps.metrics.sendSeconds.observe((performance.now() - started) / 1000);
      await deps.store.markSent(key);
      deps.metrics.sent.inc({ status: result.status });
      log.info({ messageId: claim.messageId }, "mail sent");
    },
  });
