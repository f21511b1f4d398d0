-- One row per user stream. Rows are never deleted: last_seq must survive retention so a
-- seq is never handed out twice.
CREATE TABLE IF NOT EXISTS user_streams (
    user_id    TEXT    NOT NULL PRIMARY KEY,
    last_seq   INTEGER NOT NULL DEFAULT 0,
    acked_seq  INTEGER NOT NULL DEFAULT 0,
    pruned_seq INTEGER NOT NULL DEFAULT 0
);

-- Times are UTC ticks (100 ns since 0001-01-01) so comparisons are exact integer comparisons.
-- A rowid table rather than WITHOUT ROWID: payloads can be tens of kilobytes, far above the
-- row size at which WITHOUT ROWID pays off.
CREATE TABLE IF NOT EXISTS notifications (
    user_id         TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    id              TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    caller          TEXT    NOT NULL,
    idempotency_key TEXT    NULL,
    request_hash    TEXT    NOT NULL,
    PRIMARY KEY (user_id, seq)
);

CREATE UNIQUE INDEX IF NOT EXISTS ux_notifications_idempotency
    ON notifications (caller, idempotency_key, user_id)
    WHERE idempotency_key IS NOT NULL;

-- Retention: expired rows by expiry, delivered rows by age (then checked against acked_seq).
CREATE INDEX IF NOT EXISTS ix_notifications_expires_at ON notifications (expires_at);
CREATE INDEX IF NOT EXISTS ix_notifications_created_at ON notifications (created_at);
