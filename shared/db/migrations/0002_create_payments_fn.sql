-- create_payments(items): the whole "create a payment" write in one statement, for one
-- request or for a group-committed batch of them. Per item, in order:
--   1. pg_try_advisory_xact_lock(hash of merchant + Idempotency-Key): held by another
--      in-flight transaction -> 'in_flight' (HTTP 409). The lock dies with the
--      transaction, so a crash can never leave a key locked.
--   2. claim the key; if it was already used, compare request fingerprints:
--      same -> 'replayed' with the stored response, different -> 'mismatch' (HTTP 422).
--   3. insert the PENDING payment and its PaymentCreated outbox row.
-- Everything commits together or not at all. The caller builds the payment, the event and
-- the response body, so this function holds no business rules beyond idempotency.
CREATE FUNCTION create_payments(items jsonb)
RETURNS TABLE (o_idx integer, o_outcome text, o_status smallint, o_body text)
LANGUAGE plpgsql AS $$
DECLARE
  it    jsonb;
  n     integer := 0;
  fp    bytea;
  prior record;
BEGIN
  FOR it IN SELECT value FROM jsonb_array_elements(items) LOOP
    o_idx := n;
    n := n + 1;
    o_status := NULL;
    o_body := NULL;

    IF NOT pg_try_advisory_xact_lock((it->>'lock')::bigint) THEN
      o_outcome := 'in_flight';
      RETURN NEXT;
      CONTINUE;
    END IF;

    fp := decode(it->>'fingerprint', 'hex');
    INSERT INTO idempotency_keys (merchant_id, key, fingerprint, response_status, response_body, payment_id)
    VALUES (it->>'merchant_id', it->>'idempotency_key', fp,
            (it->>'response_status')::smallint, it->>'response_body', it->'payment'->>'id')
    ON CONFLICT (merchant_id, key) DO NOTHING;

    IF NOT FOUND THEN
      SELECT k.fingerprint, k.response_status, k.response_body INTO prior
        FROM idempotency_keys k
       WHERE k.merchant_id = it->>'merchant_id' AND k.key = it->>'idempotency_key';
      IF prior.fingerprint = fp THEN
        o_outcome := 'replayed';
        o_status := prior.response_status;
        o_body := prior.response_body;
      ELSE
        o_outcome := 'mismatch';
      END IF;
      RETURN NEXT;
      CONTINUE;
    END IF;

    INSERT INTO payments (id, merchant_id, status, amount, currency, payment_method, customer_email,
                          customer_name, description, metadata, created_at, updated_at)
    SELECT r.id, r.merchant_id, 'PENDING', r.amount, r.currency, r.payment_method, r.customer_email,
           r.customer_name, r.description, coalesce(r.metadata, '{}'::jsonb), r.created_at, r.created_at
      FROM jsonb_populate_record(NULL::payments, it->'payment') r;

    INSERT INTO outbox (topic, key, payload, headers)
    VALUES (it->>'topic', it->'payment'->>'id', it->'event', coalesce(it->'headers', '{}'::jsonb));

    o_outcome := 'created';
    o_status := (it->>'response_status')::smallint;
    o_body := it->>'response_body';
    RETURN NEXT;
  END LOOP;
END;
$$;
