-- Idempotency keys get a table of their own, so that a key outlives its notifications: a retry
-- within the window (NotifyPush:Retention:IdempotencyWindowHours, default 24 h) gets the original
-- result even after the notifications were delivered, expired or cleaned up.

-- One row per (caller, key): the request's hash (same key, other hash = conflict), when it was
-- accepted in UTC ticks (the window counts from here), its expiry, and its result as a JSON array
-- of {"userId","id","seq"}, recipients in request order. Written in the append's transaction.
CREATE TABLE idempotency_keys (
    caller          TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    request_hash    TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    notifications   TEXT    NOT NULL,
    PRIMARY KEY (caller, idempotency_key)
);

-- Retention forgets keys by age without scanning the table.
CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at);

-- Keys stored by version 1, with the notifications that still exist; a replay puts the
-- recipients back in the order of the retried request.
INSERT INTO idempotency_keys (caller, idempotency_key, request_hash, created_at, expires_at, notifications)
SELECT caller, idempotency_key, min(request_hash), min(created_at), min(expires_at),
       json_group_array(json_object('userId', user_id, 'id', id, 'seq', seq))
FROM notifications
WHERE idempotency_key IS NOT NULL
GROUP BY caller, idempotency_key;

-- The notifications no longer carry the key. (One process or one machine's processes use a file,
-- and a file from a newer version is refused, so nothing older writes these columns any more.)
DROP INDEX ux_notifications_idempotency;
ALTER TABLE notifications DROP COLUMN caller;
ALTER TABLE notifications DROP COLUMN idempotency_key;
ALTER TABLE notifications DROP COLUMN request_hash;
