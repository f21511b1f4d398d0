-- Retention by index (PostgresSql.Cleanup). The cleanup statement takes its two kinds of rows in
-- two index-ordered, limited scans instead of one pass over the table:
--   expired:  notifications_expires_at (0001), oldest expiry first;
--   acked:    this index, oldest first; user_id and seq ride in it so the rows too young to go are
--             passed over without a heap visit once the table is vacuumed.
-- IF NOT EXISTS: on a large table an operator can build it beforehand without blocking writes
-- (CREATE INDEX CONCURRENTLY IF NOT EXISTS notifications_created_at ON notifications (created_at)
-- INCLUDE (user_id, seq)); this step then only records itself.
CREATE INDEX IF NOT EXISTS notifications_created_at ON notifications (created_at) INCLUDE (user_id, seq);
