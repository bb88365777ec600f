-- Several connectors (gateways): which one holds each payment, which one handled each
-- attempt, the merchants' routing rules, and incoming gateway webhooks seen once.

-- The connector that holds the payment's gateway object (gateway_intent_id is its ref there).
-- Written before the first request goes to a connector, so a payment whose attempt may have
-- reached one is never sent to another (streams/payment-worker/route.ts).
ALTER TABLE payments ADD COLUMN connector text;
ALTER TABLE payments ADD CONSTRAINT payments_connector CHECK (connector IN ('stripe', 'adyen'));
-- Until now every payment went to Stripe; those still pending finish there.
UPDATE payments SET connector = 'stripe';

-- One row per attempt at a connector: which connector, why it ended there (the routing
-- decision, a failover), what it said. The payment resource shows them.
CREATE TABLE payment_attempts (
  payment_id  text NOT NULL REFERENCES payments (id),
  seq         integer NOT NULL CHECK (seq >= 1),
  connector   text NOT NULL CHECK (connector IN ('stripe', 'adyen')),
  reason      text NOT NULL CHECK (reason IN ('route', 'split', 'failover', 'fallback')),
  outcome     text,
  -- Deliveries that took this attempt up again (a retry, a redelivery): any of them may have
  -- sent a request, so a failover from this attempt needs none (streams/payment-worker/route.ts).
  resumed     integer NOT NULL DEFAULT 0,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (payment_id, seq)
);

-- A capture, cancel or refund the gateway answers asynchronously (Adyen's modifications):
-- the gateway's reference of the modification, to match its webhook.
ALTER TABLE payment_commands ADD COLUMN gateway_ref text;
CREATE INDEX payment_commands_gateway_ref ON payment_commands (gateway_ref) WHERE gateway_ref IS NOT NULL;

-- A merchant's routing rules, in order: the first whose conditions match a payment decides
-- its connectors (an ordered list, or a volume split by percentage, deterministic per
-- payment id). No rule matching: the platform's default connector.
CREATE TABLE routing_rules (
  merchant_id  text NOT NULL REFERENCES merchants (id),
  position     integer NOT NULL CHECK (position >= 0),
  rule         jsonb NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, position)
);
-- Per merchant: whether a soft decline (a processing error, an issuer unavailable) may be
-- retried on the next connector. Off by default.
ALTER TABLE merchants ADD COLUMN failover_soft_declines boolean NOT NULL DEFAULT false;

-- Incoming gateway webhooks, each seen once (the gateway's event id), whatever it retries.
CREATE TABLE gateway_webhook_events (
  connector   text NOT NULL CHECK (connector IN ('stripe', 'adyen')),
  event_id    text NOT NULL,
  type        text NOT NULL,
  payment_id  text,
  received_at timestamptz NOT NULL DEFAULT now(),
  outcome     text,
  PRIMARY KEY (connector, event_id)
);
