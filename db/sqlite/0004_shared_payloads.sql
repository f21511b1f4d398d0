-- A send's payload is stored once: one notification_payloads row per append, referenced by the notification row of
-- each recipient (payload_id), instead of a copy per recipient.

-- created_at and expires_at (UTC ticks) are the send's, which all its notifications share: retention removes a payload
-- row by its expiry (index below), after which none of its notifications is delivered any more.
CREATE TABLE notification_payloads (
    id         INTEGER NOT NULL PRIMARY KEY,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX ix_notification_payloads_expires_at ON notification_payloads (expires_at);

-- Rows written before this version keep their payload inline (payload_id NULL). New rows carry payload_id and an
-- empty payload: SQLite cannot drop the column's NOT NULL without rebuilding the table.
ALTER TABLE notifications ADD COLUMN payload_id INTEGER NULL;
