-- Retention: rows that are done with are kept for a configurable window, then purged in
-- small batches (shared/db/purge.ts). Each purge reads its oldest due rows over one of
-- these indexes, so a batch costs the same on a table of ten thousand rows or ten million.
--   outbox: published rows, kept OUTBOX_KEEP_MINUTES (60) by the relay.
--   notifications: sent claims, kept NOTIFICATIONS_KEEP_HOURS (168) by the notification
--   worker; a sent claim is what keeps a redelivered PaymentResult from mailing twice, so its
--   window must outlast the topic's retention (Kafka's default is 7 days).
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX notifications_sent_at ON notifications (sent_at) WHERE state = 'sent';
