-- Merchant events and webhooks: the event stream (GET /v1/events, shared/merchant-events/),
-- merchants' webhook endpoints (api/webhooks/) and the dispatcher's deliveries and attempt
-- log (streams/webhook-dispatcher/, whose README draws the delivery state machine).

-- One row per event, written by recordEvent() in the transaction of the change it reports.
-- body is the exact JSON that GET /v1/events/{id} returns and every webhook signs and sends:
-- text, not jsonb, so the bytes never change. seq orders the events of one payment: it is
-- drawn at insert, after the change took the payment's row lock, so it follows the order in
-- which the changes happened (ids are drawn earlier, in the writer's process).
-- Purged after the retention window (WEBHOOK_EVENT_RETENTION, at least 30 days by default)
-- by the webhook dispatcher, with their deliveries and attempts.
CREATE TABLE events (
  id          text PRIMARY KEY CHECK (id ~ '^evt_[0-9a-f]{32}$'),
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  merchant_id text NOT NULL REFERENCES merchants (id),
  type        text NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
  payment_id  text NOT NULL,
  api_version text NOT NULL,
  created_at  timestamptz NOT NULL,
  body        text NOT NULL
);
-- GET /v1/events: newest first, cursor "id below the last one seen", optionally by type.
CREATE INDEX events_merchant_id ON events (merchant_id, id DESC);
CREATE INDEX events_merchant_type_id ON events (merchant_id, type, id DESC);
-- A payment's events in order (the dispatcher's intake), and the retention purge.
CREATE INDEX events_payment_seq ON events (payment_id, seq);
CREATE INDEX events_created_at ON events (created_at);

-- A merchant's webhook endpoint. enabled_events holds catalogue types or '*'. Deleting one
-- keeps the row (deleted_at) so its delivery log stays readable. disabled_reason: merchant
-- (PATCH enabled=false), failing (the dispatcher: failing for WEBHOOK_DISABLE_AFTER in a row),
-- destination_refused (the dispatcher: its host resolved to an address webhooks may not go to).
-- failing_since: first failed attempt since the last success. pool: which dispatchers deliver
-- for it (WEBHOOK_POOL; 'default' unless an operator isolates an endpoint, or a test its own).
CREATE TABLE webhook_endpoints (
  id              text PRIMARY KEY CHECK (id ~ '^we_[0-9a-f]{32}$'),
  merchant_id     text NOT NULL REFERENCES merchants (id),
  url             text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
  description     text CHECK (length(description) <= 500),
  enabled_events  text[] NOT NULL CHECK (cardinality(enabled_events) BETWEEN 1 AND 64),
  enabled         boolean NOT NULL DEFAULT true,
  disabled_reason text CHECK (disabled_reason IN ('merchant', 'failing', 'destination_refused', 'deleted')),
  disabled_at     timestamptz,
  failing_since   timestamptz,
  pool            text NOT NULL DEFAULT 'default' CHECK (length(pool) BETWEEN 1 AND 64),
  api_version     text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  deleted_at      timestamptz,
  CHECK (enabled = (disabled_reason IS NULL))
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, id DESC) WHERE deleted_at IS NULL;

-- Signing secrets. The current one has expires_at NULL; a rotation gives the old one an
-- expiry (24 h) and both sign meanwhile. Stored as is, because every delivery signs with it;
-- shown to the merchant once (creation, rotation) and never logged.
CREATE TABLE webhook_endpoint_secrets (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint_id text NOT NULL REFERENCES webhook_endpoints (id),
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz
);
CREATE INDEX webhook_endpoint_secrets_endpoint ON webhook_endpoint_secrets (endpoint_id, id DESC);
CREATE UNIQUE INDEX webhook_endpoint_secrets_current ON webhook_endpoint_secrets (endpoint_id) WHERE expires_at IS NULL;

-- One row per (event, endpoint). state: pending -> delivered | dead; a resend makes it
-- pending again. A lane is (endpoint, payment): only the pending delivery with the lowest
-- event_seq of a lane may be attempted, and only while no other delivery of the lane is
-- leased (in flight). next_attempt_at NULL = waiting (an earlier event of its lane is not
-- final yet, or its endpoint is disabled); whoever finishes a lane's head makes the next one
-- due, under the payment's advisory lock (shared/merchant-events/lanes.ts).
-- An attempt is leased (leased_until, lease_attempt_id) rather than held in an open
-- transaction, so a dispatcher killed mid-request loses nothing: the lease runs out and
-- another dispatcher tries again (the receiver sees the same event id twice).
CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id         text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id),
  merchant_id      text NOT NULL,
  payment_id       text NOT NULL,
  event_seq        bigint NOT NULL,
  pool             text NOT NULL,
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  leased_until     timestamptz,
  lease_attempt_id bigint,
  -- first attempt of the current round (a resend starts a new one): the give-up clock
  first_attempt_at timestamptz,
  last_attempt_at  timestamptz,
  last_status      integer,
  last_error       text,
  delivered_at     timestamptz,
  dead_at          timestamptz,
  -- expired (retried past WEBHOOK_GIVE_UP_AFTER), destination_refused, endpoint_deleted, event_purged
  dead_reason      text,
  resends          integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, endpoint_id)
);
-- The delivery loop's claim: due heads of this pool, oldest due first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (pool, next_attempt_at)
  WHERE state = 'pending' AND next_attempt_at IS NOT NULL;
-- Lanes: a payment's pending deliveries per endpoint in event order.
CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (payment_id, endpoint_id, event_seq) WHERE state = 'pending';
-- Backlog per endpoint, and parking/resuming an endpoint's deliveries.
CREATE INDEX webhook_deliveries_endpoint_pending ON webhook_deliveries (endpoint_id) WHERE state = 'pending';

-- Every attempt, written when it starts (outcome in_flight) and completed when it ends:
-- one a dispatcher died in is marked interrupted by the next one that takes the delivery.
CREATE TABLE webhook_attempts (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt     integer NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  duration_ms integer,
  status_code integer,
  outcome     text NOT NULL CHECK (outcome IN ('in_flight', 'delivered', 'failed', 'refused', 'interrupted')),
  error       text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
