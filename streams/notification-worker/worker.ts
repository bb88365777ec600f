/**
 * Notification worker: one email per (payment, what happened to it), on the stream engine.
 *
 * Per PaymentResult: which mail, if any (mail-plan.ts) → load payment + merchant (and the
 * refund) → claim the send (Postgres) → render → SMTP → mark sent. Redeliveries of a sent
 * mail do nothing; a crash between SMTP acceptance and the mark resends with the same
 * Message-ID (the only duplicate possible).
 */
import type { SendMailOptions } from "nodemailer";
import type { Logger } from "../../shared/logger.ts";
import { PaymentResult } from "../../shared/events.ts";
import { Headers, Topics } from "../../shared/topics.ts";
import { FatalError, PoisonError, RetryableError, defineWorker, jsonDecoder } from "../engine/index.ts";
import { composeMail } from "./compose.ts";
import { mailLabel, planMail } from "./mail-plan.ts";
import type { NotificationMetrics } from "./metrics.ts";
import type { Templates } from "./render.ts";
import { classifySmtpError, describeSmtpError } from "./smtp.ts";
import type { NotificationStore, RefundForMail } from "./store.ts";

export interface NotificationDeps {
  readonly store: NotificationStore;
  readonly send: (mail: SendMailOptions) => Promise<unknown>;
  readonly templates: Templates;
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
      const log = deps.log.child({
        correlationId: h[Headers.correlationId],
        paymentId: result.paymentId,
        status: result.status,
        kind: result.kind ?? "decided",
        ...(result.refundId ? { refundId: result.refundId } : {}),
        attempt: ctx.attempt,
      });
      const plan = planMail(result, deps.messageIdDomain);
      if (plan.action === "invalid") throw new PoisonError(plan.why);
      if (plan.action === "none") {
        // Nothing is recorded: there is no mail to send once.
        deps.metrics.skipped.inc({ status: result.status, reason: plan.reason });
        log.info({ reason: plan.reason }, "no customer mail for this result");
        return;
      }
      const label = { status: mailLabel(plan.mail) };

      const payment = await deps.store.loadPayment(result.paymentId);
      // The outbox commits the result with the payment row, so a result without its payment is bad data, not a race.
      if (payment === undefined) throw new FatalError(`payment ${result.paymentId} not found`);
      if (payment.merchant_id !== result.merchantId) throw new FatalError(`payment ${result.paymentId} belongs to another merchant`);
      const refund = plan.refundId === undefined ? undefined : await succeededRefund(deps.store, plan.refundId, payment.id);

      const key = plan.key;
      const claim = await deps.store.claim(key, plan.messageId, h[Headers.replay] !== undefined);
      if (claim === null) {
        deps.metrics.skipped.inc({ ...label, reason: "already_sent" });
        log.info({}, "mail already sent; nothing to do");
        return;
      }
      if (claim.attempts > 1) deps.metrics.resent.inc(label);

      const mail = composeMail(deps.templates, plan.mail, { payment, result, ...(refund ? { refund } : {}) });
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
        deps.metrics.failed.inc({ ...label, kind });
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
      deps.metrics.sent.inc(label);
      log.info({ messageId: claim.messageId }, "mail sent");
    },
  });

/** Likewise the refund: its row is settled in the transaction that wrote the record. */
async function succeededRefund(store: NotificationStore, refundId: string, paymentId: string): Promise<RefundForMail> {
  const refund = await store.loadRefund(refundId);
  if (refund === undefined) throw new FatalError(`refund ${refundId} not found`);
  if (refund.payment_id !== paymentId) throw new FatalError(`refund ${refundId} belongs to another payment`);
  if (refund.status !== "succeeded") throw new FatalError(`refund ${refundId} is ${refund.status}, not succeeded`);
  return refund;
}
