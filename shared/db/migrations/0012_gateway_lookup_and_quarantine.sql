-- What the payment worker needs to ask the gateway what it already has before it ever
-- charges again (streams/payment-worker/plan.ts):
--   gateway_intent_id: the gateway's PaymentIntent id, written as soon as an answer names it
--     (with a recorded failure or with the settle), so the next attempt retrieves it;
--   gateway_key_seq: which idempotency key the next create uses (0: the payment id;
--     n: "<payment id>:k<n>"). It moves on only when the gateway holds no intent for the
--     payment and keeps replaying an error stored under the current key.
ALTER TABLE payments ADD COLUMN gateway_intent_id text;
ALTER TABLE payments ADD COLUMN gateway_key_seq integer NOT NULL DEFAULT 0 CHECK (gateway_key_seq >= 0);

-- An outbox row the relay cannot publish (a topic that does not exist, a record over the
-- broker's size limit, a payload the producer refuses) is quarantined: stored as a dead
-- letter with its error and skipped, so the rows behind it keep flowing.
ALTER TABLE outbox ADD COLUMN quarantined_at timestamptz;
DROP INDEX outbox_unpublished;
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL AND quarantined_at IS NULL;
