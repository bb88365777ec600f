-- Dead letters: every record that reached a `<topic>.dlq`, stored durably for inspection and
-- replay (shared/dead-letters/). (topic, partition, offset) is the record's identity in Kafka,
-- so a DLQ record delivered twice is stored once.
-- payload is bytea: a poison pill is not necessarily JSON, or even UTF-8.
-- state: new -> replayed | discarded (a replayed one may be discarded or replayed again).
CREATE TABLE dead_letters (
  id                 bigserial PRIMARY KEY,
  topic              text NOT NULL,
  "partition"        integer NOT NULL,
  "offset"           bigint NOT NULL,
  key                text,
  payload            bytea,
  headers            jsonb NOT NULL DEFAULT '{}'::jsonb,
  error_class        text,
  error_message      text,
  attempts           integer NOT NULL DEFAULT 0,
  original_topic     text NOT NULL,
  original_partition integer,
  original_offset    bigint,
  state              text NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'replayed', 'discarded')),
  reason             text,
  replay_count       integer NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now(),
  replayed_at        timestamptz,
  discarded_at       timestamptz,
  -- set once the dead letter was included in an ops alert mail (alerts survive a restart)
  alerted_at         timestamptz,
  UNIQUE (topic, "partition", "offset")
);
CREATE INDEX dead_letters_state_id ON dead_letters (state, id DESC);
CREATE INDEX dead_letters_topic_id ON dead_letters (original_topic, id DESC);
CREATE INDEX dead_letters_key ON dead_letters (key);
CREATE INDEX dead_letters_unalerted ON dead_letters (id) WHERE alerted_at IS NULL;

-- Replay goes through the transactional outbox (the dead letter is marked replayed in the same
-- transaction that writes the outbox row), so Bun code needs no Kafka client. A dead letter's
-- bytes may not be JSON, and a jsonb round trip would not keep them byte for byte anyway, so an
-- outbox row may carry raw bytes instead: the relay publishes payload_bytes when it is set,
-- else the JSON payload; neither set = a record with a null value (a tombstone replayed as is).
ALTER TABLE outbox ADD COLUMN payload_bytes bytea;
-- A dead letter may also have no key (records of unkeyed topics); it is replayed without one.
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE outbox ALTER COLUMN key DROP NOT NULL;
