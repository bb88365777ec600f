-- create_payments(items): the same function as 0003, with one change in its last
-- statement (see the comment there): the lookup of a key's prior record is a per-item
-- primary-key probe, so no planner statistics can turn it into a scan of the table.
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
                        customer_name, description, metadata, created_at, updated_at)
  SELECT r.id, r.merchant_id, 'PENDING', r.amount, r.currency, r.payment_method, r.customer_email,
         r.customer_name, r.description, coalesce(r.metadata, '{}'::jsonb), r.created_at, r.created_at
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
