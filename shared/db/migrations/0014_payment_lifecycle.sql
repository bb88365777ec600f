-- The payment lifecycle: hold funds and capture later, void, refund
-- (shared/payments/README.md draws the state machine; shared/payments/ is the one module
-- that writes these tables: charge.ts, capture.ts, refund.ts).
--
--   PENDING ─▶ APPROVED | DENIED          capture_method automatic (the charge captures)
--   PENDING ─▶ AUTHORIZED ─▶ APPROVED     manual: held, then captured (all or part)
--                         └─▶ CANCELED    voided by the merchant, or when capture_before passes
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
  CHECK (status IN ('PENDING', 'AUTHORIZED', 'APPROVED', 'DENIED', 'CANCELED'));
ALTER TABLE payments ADD COLUMN capture_method text NOT NULL DEFAULT 'automatic'
  CHECK (capture_method IN ('automatic', 'manual'));
-- A manual payment's authorization is voided once this passes without a capture (set when
-- the payment is created: its authorization follows within seconds).
ALTER TABLE payments ADD COLUMN capture_before timestamptz;
ALTER TABLE payments ADD CONSTRAINT payments_capture_before CHECK ((capture_method = 'manual') = (capture_before IS NOT NULL));
-- The money, enforced by the database itself:
--   amount_captured ≤ amount (what was authorized)
--   amount_refunded (succeeded) ≤ amount_refund_reserved (pending + succeeded) ≤ amount_captured
-- A refund reserves its amount when the API accepts it, in the row-locking UPDATE that
-- checks it fits, so concurrent refunds cannot both fit.
ALTER TABLE payments ADD COLUMN amount_captured integer NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN amount_refund_reserved integer NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN amount_refunded integer NOT NULL DEFAULT 0;
UPDATE payments SET amount_captured = amount WHERE status = 'APPROVED';
ALTER TABLE payments ADD CONSTRAINT payments_money CHECK (
  amount_captured BETWEEN 0 AND amount
  AND amount_refunded >= 0
  AND amount_refunded <= amount_refund_reserved
  AND amount_refund_reserved <= amount_captured
  AND (status = 'APPROVED' OR (amount_captured = 0 AND amount_refund_reserved = 0))
);
-- The expiry sweep reads held payments by their deadline.
CREATE INDEX payments_capture_before ON payments (capture_before) WHERE status = 'AUTHORIZED';

-- Refunds: pending (amount reserved) → succeeded | failed (reservation released).
CREATE TABLE refunds (
  id                text PRIMARY KEY,                          -- re_ + 32 hex of a UUIDv7: time-ordered
  payment_id        text NOT NULL REFERENCES payments (id),
  merchant_id       text NOT NULL REFERENCES merchants (id),
  amount            integer NOT NULL CHECK (amount > 0),
  currency          char(3) NOT NULL,
  reason            text CHECK (reason IN ('duplicate', 'fraudulent', 'requested_by_customer')),
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  failure_reason    text,
  gateway_refund_id text,
  last_error        text,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  decided_at        timestamptz,
  CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX refunds_payment ON refunds (payment_id, id DESC);
CREATE INDEX refunds_merchant ON refunds (merchant_id, id DESC);

-- Commands the API accepted for a payment, executed in order by the command worker
-- (Kafka, keyed by payment id). The command id is the gateway's idempotency key.
CREATE TABLE payment_commands (
  id           text PRIMARY KEY,                               -- cmd_ + 32 hex
  payment_id   text NOT NULL REFERENCES payments (id),
  merchant_id  text NOT NULL REFERENCES merchants (id),
  kind         text NOT NULL CHECK (kind IN ('capture', 'cancel', 'refund')),
  amount       integer CHECK (amount > 0),
  refund_id    text REFERENCES refunds (id),
  requested_by text NOT NULL DEFAULT 'merchant' CHECK (requested_by IN ('merchant', 'expiry')),
  state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'succeeded', 'failed')),
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  CHECK ((state = 'pending') = (completed_at IS NULL)),
  CHECK ((kind = 'refund') = (refund_id IS NOT NULL))
);
-- One capture or cancel at a time per payment: the second is refused when accepted.
CREATE UNIQUE INDEX payment_commands_one_settling ON payment_commands (payment_id)
  WHERE state = 'pending' AND kind IN ('capture', 'cancel');
CREATE INDEX payment_commands_payment ON payment_commands (payment_id, created_at);

-- Customer mails now also for a capture of a held payment and for each refund:
-- `status` names what the mail is about (APPROVED, DENIED, CAPTURED, or REFUND:<refund id>).
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
  CHECK (status IN ('APPROVED', 'DENIED', 'CAPTURED') OR status ~ '^REFUND:re_[0-9a-f]{32}$');

-- create_payments(items): as in 0004, with the payment's capture_method and capture_before.
CREATE OR REPLACE FUNCTION create_payments(items jsonb)
RETURNS TABLE (o_idx integer, o_outcome text, o_status smallint, o_body text)
LANGUAGE plpgsql AS $$
DECLARE
  busy  integer[];  -- lock held elsewhere
  fresh integer[];  -- key claimed by this call: create the payment
BEGIN
  -- Try-locks never wait, so taking them in item order cannot deadlock.
  WITH it AS MATERIALIZED (
    SELECT (e.ord - 1)::integer AS idx, e.v, pg_try_advisory_xact_lock((e.v->>'lock')::bigint) AS locked
      FROM jsonb_array_elements(items) WITH ORDINALITY AS e(v, ord)
     ORDER BY e.ord
  ), claimed AS (
    INSERT INTO idempotency_keys (merchant_id, key, fingerprint, response_status, response_body, payment_id)
    SELECT v->>'merchant_id', v->>'idempotency_key', decode(v->>'fingerprint', 'hex'),
           (v->>'response_status')::smallint, v->>'response_body', v->'payment'->>'id'
      FROM it WHERE locked ORDER BY idx
    ON CONFLICT (merchant_id, key) DO NOTHING
    RETURNING payment_id  -- unique per item, unlike the key
  )
  SELECT coalesce(array_agg(it.idx) FILTER (WHERE NOT it.locked), '{}'),
         coalesce(array_agg(it.idx) FILTER (WHERE c.payment_id IS NOT NULL), '{}')
    INTO busy, fresh
    FROM it LEFT JOIN claimed c ON c.payment_id = it.v->'payment'->>'id';

  INSERT INTO payments (id, merchant_id, status, amount, currency, payment_method, customer_email,
                        customer_name, description, metadata, created_at, updated_at, capture_method, capture_before)
  SELECT r.id, r.merchant_id, 'PENDING', r.amount, r.currency, r.payment_method, r.customer_email,
         r.customer_name, r.description, coalesce(r.metadata, '{}'::jsonb), r.created_at, r.created_at,
         coalesce(r.capture_method, 'automatic'), r.capture_before
    FROM jsonb_array_elements(items) WITH ORDINALITY AS e(v, ord),
         jsonb_populate_record(NULL::payments, e.v->'payment') AS r
   WHERE (e.ord - 1)::integer = ANY (fresh)
   ORDER BY e.ord;

  INSERT INTO outbox (topic, key, payload, headers)
  SELECT e.v->>'topic', e.v->'payment'->>'id', e.v->'event', coalesce(e.v->'headers', '{}'::jsonb)
    FROM jsonb_array_elements(items) WITH ORDINALITY AS e(v, ord)
   WHERE (e.ord - 1)::integer = ANY (fresh)
   ORDER BY e.ord;

  -- The prior record is looked up only for items that neither met a busy lock nor
  -- claimed their key, one primary-key probe each. A join here let the planner pick a
  -- hash join over a sequential scan of idempotency_keys whenever its statistics said
  -- the table was small (a fresh database, before autoanalyze): every create then read
  -- the whole table.
  RETURN QUERY
  SELECT x.idx,
         CASE WHEN x.busy THEN 'in_flight' WHEN x.fresh THEN 'created' WHEN x.same THEN 'replayed' ELSE 'mismatch' END,
         CASE WHEN x.fresh THEN (x.v->>'response_status')::smallint WHEN x.same THEN x.prior_status END,
         CASE WHEN x.fresh THEN x.v->>'response_body' WHEN x.same THEN x.prior_body END
    FROM (
      SELECT i.idx, i.v, i.busy, i.fresh,
             coalesce(k.fingerprint = decode(i.v->>'fingerprint', 'hex'), false) AS same,
             k.response_status AS prior_status, k.response_body AS prior_body
        FROM (
          SELECT (e.ord - 1)::integer AS idx, e.v,
                 (e.ord - 1)::integer = ANY (busy) AS busy,
                 (e.ord - 1)::integer = ANY (fresh) AS fresh
            FROM jsonb_array_elements(items) WITH ORDINALITY AS e(v, ord)
        ) i
        LEFT JOIN LATERAL (
          SELECT k.fingerprint, k.response_status, k.response_body
            FROM idempotency_keys k
           WHERE NOT (i.busy OR i.fresh)
             AND k.merchant_id = i.v->>'merchant_id' AND k.key = i.v->>'idempotency_key'
           LIMIT 1  -- at most one anyway (the primary key); keeps the probe a nested loop
        ) k ON true
    ) x;
END;
$$;
