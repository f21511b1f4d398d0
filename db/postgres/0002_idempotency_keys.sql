-- Idempotency keys get a table of their own, so that a key outlives its notifications: a retry
-- within the window (NotifyPush:Retention:IdempotencyWindowHours, default 24 h) gets the original
-- result even after the notifications were delivered, expired or cleaned up.

-- One row per (caller, key): the request's hash (same key, other hash = conflict), when it was
-- accepted (the window counts from here) and its result, the recipients in request order with the
-- id and seq each got. The append inserts this row in the same statement as the notifications;
-- a concurrent duplicate meets the primary key (unique_violation) and the whole statement rolls back.
CREATE TABLE idempotency_keys (
    caller          text        NOT NULL,
    idempotency_key text        NOT NULL,
    request_hash    text        NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    user_ids        text[]      NOT NULL,
    ids             uuid[]      NOT NULL,
    seqs            bigint[]    NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (caller, idempotency_key)
);

-- Retention forgets keys by age without scanning the table.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- Keys stored by version 1, with the notifications that still exist. Recipients in user id order:
-- a replay puts them back in the order of the retried request.
INSERT INTO idempotency_keys (caller, idempotency_key, request_hash, created_at, expires_at, user_ids, ids, seqs)
SELECT caller, idempotency_key, min(request_hash), min(created_at), min(expires_at),
       array_agg(user_id ORDER BY user_id), array_agg(id ORDER BY user_id), array_agg(seq ORDER BY user_id)
FROM notifications
WHERE idempotency_key IS NOT NULL
GROUP BY caller, idempotency_key;

-- The key columns of notifications are no longer written. They stay (nullable) for one release, so
-- that a replica of the previous version still inserts rows during a rolling deploy; a later
-- migration drops them with the notifications_idempotency index.
ALTER TABLE notifications ALTER COLUMN caller DROP NOT NULL;
ALTER TABLE notifications ALTER COLUMN request_hash DROP NOT NULL;
