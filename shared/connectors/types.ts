/**
 * The connector interface: what a worker asks a payment gateway, and what the answer means,
 * in the platform's words, whichever gateway it is (Stripe: stripe/, Adyen: adyen/). Each
 * call is one HTTP request and one audited exchange (exchange.ts); each connector turns its
 * gateway's objects and errors into the neutral shapes below, and outcome.ts decides from
 * those alone.
 */

export const CONNECTORS = ["stripe", "adyen"] as const;
export type ConnectorName = (typeof CONNECTORS)[number];

/** What to charge: always the payment row's own values, never a message's. */
export interface Charge {
  readonly paymentId: string;
  readonly merchantId: string;
  readonly amount: number;
  readonly currency: string;
  readonly paymentMethod: string;
  /** manual: authorize only; a capture follows. */
  readonly captureMethod: "automatic" | "manual";
}

export type Call =
  | { readonly op: "create"; readonly idempotencyKey: string; readonly charge: Charge }
  | { readonly op: "retrieve"; readonly ref: string; readonly charge: Charge; readonly idempotencyKey: string }
  | { readonly op: "search"; readonly paymentId: string; readonly charge: Charge; readonly idempotencyKey: string }
  | {
      readonly op: "capture";
      readonly idempotencyKey: string;
      readonly ref: string;
      readonly amount: number;
      readonly currency: string;
      readonly paymentId: string;
    }
  | { readonly op: "cancel"; readonly idempotencyKey: string; readonly ref: string; readonly paymentId: string }
  | {
      readonly op: "refund";
      readonly idempotencyKey: string;
      readonly ref: string;
      readonly amount: number;
      readonly currency: string;
      readonly refundId: string;
      readonly paymentId: string;
    }
  | { readonly op: "retrieve_refund"; readonly gatewayRefundId: string }
  | { readonly op: "list_refunds"; readonly ref: string };

export type Op = Call["op"];

/** What goes over the wire, for the audit log (no secrets, no payment-method details). */
export interface ExchangeRequest {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly idempotencyKey?: string;
  readonly params: Record<string, unknown>;
}

/** A payment as the gateway holds it. */
export interface GatewayPayment {
  /** The gateway's id for it (a Stripe PaymentIntent id, an Adyen pspReference). */
  readonly ref: string;
  readonly status: "succeeded" | "authorized" | "processing" | "declined" | "requires_action" | "canceled" | "other";
  readonly amountCaptured: number;
  /** declined: why, in Stripe's decline-code words (insufficient_funds, fraudulent, …). */
  readonly declineCode?: string;
  /** declined for a reason another try may pass (a processing error, an issuer unavailable): a soft decline. */
  readonly soft?: boolean;
  /** The gateway's own word for the state, for messages. */
  readonly detail: string;
}

/** A refund as the gateway holds it. */
export interface GatewayRefund {
  readonly ref: string;
  readonly status: "succeeded" | "pending" | "failed";
  /** Our refund id, as the refund's metadata or reference carries it. */
  readonly refundId?: string;
  readonly failureReason?: string;
}

/**
 * What a failed call says about the money:
 * - declined: the card's final answer (soft: another try may pass);
 * - not_processed: known not to have been processed (connection refused, a documented
 *   "not processed", a rate limit): safe to retry elsewhere;
 * - ambiguous: may or may not have been processed (a timeout, a reset after sending, a
 *   5xx): only the same connector can say, when asked;
 * - retry: not processed and transient at this connector (a lock);
 * - unexpected_state: the object is not in the state the command needs: look it up;
 * - refused: the gateway refuses the command for good (a refund larger than what is left);
 * - not_found: no such object;
 * - fatal: our own mistake (credentials, an idempotency key reused with other parameters).
 */
export type ErrorClass = "declined" | "not_processed" | "ambiguous" | "retry" | "unexpected_state" | "refused" | "not_found" | "fatal";

export interface GatewayError {
  readonly class: ErrorClass;
  readonly code: string;
  readonly message: string;
  readonly declineCode?: string;
  readonly soft?: boolean;
  /** A declined charge's payment, when the gateway names it. */
  readonly payment?: GatewayPayment;
}

export interface Answer {
  /** Payment calls: the payment; a find: every payment the gateway holds for ours, newest first. */
  readonly payments: GatewayPayment[];
  /** Refund calls: the refund; a list: every refund of the payment, newest first. */
  readonly refunds: GatewayRefund[];
  readonly error?: GatewayError;
  /**
   * An asynchronous command (asyncCommands) the gateway received: its reference for the
   * modification, which its webhook names. The outcome is not known yet.
   */
  readonly received?: string;
  /** The gateway answered with a stored response for the idempotency key. */
  readonly replayed: boolean;
  readonly response: { readonly status: number | null; readonly body: unknown; readonly requestId: string | null };
  readonly durationMs: number;
}

export interface Connector {
  readonly name: ConnectorName;
  /**
   * How the connector finds out what it already holds for a payment: `search` (a find by
   * our payment id, and a retrieve by ref), or `replay` (neither exists, as at Adyen: the
   * same request again under the same idempotency key returns the first answer).
   */
  readonly lookup: "search" | "replay";
  /** How long the gateway keeps an idempotency key (Stripe 24 h, Adyen 31 days). */
  readonly keyWindowMs: number;
  /** Asynchronous commands (Adyen's modifications): a capture, cancel or refund answers "received", the outcome comes by webhook. */
  readonly asyncCommands: boolean;
  describe(call: Call): ExchangeRequest;
  send(call: Call, exchangeId: string): Promise<Answer>;
}

/**
 * An incoming gateway webhook, verified and in the platform's words (each connector's
 * webhook.ts). The receiver (webhooks/) deduplicates by `eventId` and converges the payment
 * under the same guards as the workers' answers.
 */
export type GatewayNotice = {
  readonly connector: ConnectorName;
  /** The gateway's id for the event, the same on every redelivery (Stripe evt_…; Adyen pspReference:eventCode:success). */
  readonly eventId: string;
  /** The gateway's own event name (payment_intent.succeeded, AUTHORISATION, …). */
  readonly type: string;
  /** Our payment id, when the event names it (Stripe metadata.payment_id; Adyen a payment's merchantReference). */
  readonly paymentId: string | null;
  readonly about: /**
   * A payment's state: decided, held, canceled (amount and currency as the gateway holds
   * them). `capturedIfAutomatic`: an `authorized` payment is captured at authorisation when
   * its capture is automatic (Adyen's AUTHORISATION does not say which).
   */
    | { readonly kind: "payment"; readonly payment: GatewayPayment; readonly amount: number; readonly currency: string; readonly capturedIfAutomatic?: boolean }
    /**
     * A capture or cancel the gateway carried out (or refused): `ref` the payment's ref,
     * `modificationRef` the gateway's for the command (what `Answer.received` recorded),
     * `commandId` ours when the event names it.
     */
    | {
        readonly kind: "capture" | "cancel";
        readonly success: boolean;
        readonly ref: string;
        readonly modificationRef: string | null;
        readonly commandId: string | null;
        readonly amount: number | null;
        readonly reason: string | null;
      }
    /** A refund's state; `commandId` ours when the event names it (else the refund's metadata names our refund). */
    | {
        readonly kind: "refund";
        readonly refund: GatewayRefund;
        readonly ref: string | null;
        readonly commandId: string | null;
        readonly amount: number | null;
      }
    /** Nothing this platform acts on (it is still acknowledged). */
    | { readonly kind: "ignored" };
};

export const EXCHANGE_ID_HEADER = "Payorch-Exchange-Id";
