-- Customer notification emails: one row per (payment, final status) mail.
-- The notification worker claims the row BEFORE talking to SMTP and marks it sent after the
-- server accepted the message, so a redelivered PaymentResult sends nothing new. A row left
-- 'claimed' by a crash is claimed again and re-sent with the same message_id (derived from
-- payment id + status), so a duplicate is recognisably the same mail.
-- state: claimed -> sent | failed. 'failed' = the server rejected it for good (5xx); kept with
-- the server's reply in last_error; only an operator replay (x-replay header) claims it again.
CREATE TABLE notifications (
  payment_id text NOT NULL REFERENCES payments (id),
  status     text NOT NULL CHECK (status IN ('APPROVED', 'DENIED')),
  message_id text NOT NULL,
  state      text NOT NULL CHECK (state IN ('claimed', 'sent', 'failed')),
  attempts   integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  last_error text,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  sent_at    timestamptz,
  PRIMARY KEY (payment_id, status),
  CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
-- Operators look for mails that never went out.
CREATE INDEX notifications_not_sent ON notifications (claimed_at) WHERE state <> 'sent';
