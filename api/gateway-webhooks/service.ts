/**
 * Incoming gateway webhooks: each connector's verifier (shared/connectors/*\/webhook.ts,
 * notices.ts) turns a signed request into notices; each notice is applied once
 * (shared/payments/notices.ts: the same guarded transitions as the workers', so a webhook
 * racing the synchronous answer changes the payment once), then remembered by its event
 * id. What cannot be placed (an unknown payment, another connector's payment, a contradiction)
 * is acknowledged, logged as an error and counted: the gateway retrying would not change it.
 * A notice that cannot be placed yet (`deliver_again`) is not remembered, and the request
 * fails with DeliverAgain (503) so the gateway sends it again; the batch's other notices are
 * remembered, so the redelivery applies only what is left.
 */
import type { Sql } from "../../shared/db/client.ts";
import { adyenWebhooks } from "../../shared/connectors/adyen/notices.ts";
import { WebhookRejected as AdyenRejected } from "../../shared/connectors/adyen/webhook.ts";
import { stripeWebhooks, WebhookRejected as StripeRejected } from "../../shared/connectors/stripe/webhook.ts";
import type { ConnectorName, GatewayNotice } from "../../shared/connectors/types.ts";
import { ANOMALIES, applyNotice, recordNotice, seenBefore, type NoticeOutcome } from "../../shared/payments/notices.ts";
import type { Logger } from "../observability/logger.ts";

export type Verifier = (rawBody: string, headers: Headers) => Promise<GatewayNotice[]>;

/** Some notice of the request could not be placed yet: answered 503, so the gateway delivers it again. */
export class DeliverAgain extends Error {
  override name = "DeliverAgain";
}

/** A request that is not the gateway's (bad or missing signature, not its format): 400/401, nothing applied. */
export const isRejection = (err: unknown): err is Error => err instanceof StripeRejected || err instanceof AdyenRejected;

export function verifiersFrom(cfg: { stripeWebhookSecret?: string | undefined; adyenHmacKey?: string | undefined }): Partial<Record<ConnectorName, Verifier>> {
  const out: Partial<Record<ConnectorName, Verifier>> = {};
  if (cfg.stripeWebhookSecret) {
    const stripe = stripeWebhooks(cfg.stripeWebhookSecret);
    out.stripe = async (raw, headers) => [await stripe.verify(raw, headers.get("stripe-signature"))];
  }
  if (cfg.adyenHmacKey) {
    const adyen = adyenWebhooks(cfg.adyenHmacKey);
    out.adyen = async (raw) => adyen.verify(raw);
  }
  return out;
}

export function createGatewayWebhooksService(deps: {
  primary: Sql;
  verifiers: Partial<Record<ConnectorName, Verifier>>;
  logger: Logger;
  /** After a notice changed a payment (its PaymentResult waits in the outbox). */
  notifyOutbox: () => void;
  onNotice?: (connector: string, outcome: NoticeOutcome | "duplicate") => void;
}) {
  return {
    configured: (connector: ConnectorName) => deps.verifiers[connector] !== undefined,
    /** Verifies (throws a rejection), then applies each notice; returns what each did. */
    async receive(connector: ConnectorName, rawBody: string, headers: Headers): Promise<(NoticeOutcome | "duplicate")[]> {
      const verify = deps.verifiers[connector];
      if (!verify) throw new Error(`no webhook settings for ${connector}`);
      const notices = await verify(rawBody, headers);
      const outcomes: (NoticeOutcome | "duplicate")[] = [];
      for (const n of notices) {
        if (await seenBefore(deps.primary, n.connector, n.eventId)) {
          outcomes.push("duplicate");
          deps.onNotice?.(connector, "duplicate");
          continue;
        }
        const outcome = await applyNotice(deps.primary, n);
        if (outcome !== "deliver_again") await recordNotice(deps.primary, n, outcome, n.paymentId);
        if (outcome === "settled") deps.notifyOutbox();
        const line = { connector, eventId: n.eventId, type: n.type, paymentId: n.paymentId, outcome };
        if (ANOMALIES.has(outcome)) deps.logger.error(line, "gateway webhook does not match the platform's records");
        else deps.logger.info(line, "gateway webhook");
        deps.onNotice?.(connector, outcome);
        outcomes.push(outcome);
      }
      const later = outcomes.filter((o) => o === "deliver_again").length;
      if (later > 0) throw new DeliverAgain(`${later} of ${notices.length} notices name a refund that cannot be told apart from another yet`);
      return outcomes;
    },
  };
}

export type GatewayWebhooksService = ReturnType<typeof createGatewayWebhooksService>;
