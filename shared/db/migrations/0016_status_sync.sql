-- The status sync (shared/payments/sync.ts): a payment or command still not final long
-- after its last change is handed to its worker again, which asks its connector first.
-- How often and when it last was, so a payment the connector cannot say anything about is
-- handed back a bounded number of times, then left to an operator.
ALTER TABLE payments ADD COLUMN synced_at timestamptz, ADD COLUMN sync_count integer NOT NULL DEFAULT 0;
ALTER TABLE payment_commands ADD COLUMN synced_at timestamptz, ADD COLUMN sync_count integer NOT NULL DEFAULT 0;
-- The sweep reads the oldest non-final rows; these stay small (final rows leave them).
CREATE INDEX payments_pending_updated ON payments (updated_at) WHERE status = 'PENDING';
CREATE INDEX payment_commands_pending_created ON payment_commands (created_at) WHERE state = 'pending';
