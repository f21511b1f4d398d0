-- NotifyPush store schema, version 1. Applied by the Postgres store inside one transaction
-- under an advisory lock; tables are created in the first schema of the search path.

-- One row per user: the stream's counters. last_seq is the per-user sequence; it is raised in
-- the same transaction that inserts the notification, so seq order is commit order per user.
CREATE TABLE user_streams (
    user_id    text   NOT NULL PRIMARY KEY,
    last_seq   bigint NOT NULL DEFAULT 0,
    acked_seq  bigint NOT NULL DEFAULT 0,
    pruned_seq bigint NOT NULL DEFAULT 0,
    CONSTRAINT user_streams_acked_le_last CHECK (acked_seq <= last_seq),
    CONSTRAINT user_streams_pruned_le_last CHECK (pruned_seq <= last_seq)
);

-- The mailbox. payload is json (not jsonb): json keeps the sender's text byte for byte
-- (whitespace, key order, duplicate keys) while still rejecting text that is not JSON.
CREATE TABLE notifications (
    user_id         text        NOT NULL,
    seq             bigint      NOT NULL,
    id              uuid        NOT NULL,
    type            text        NOT NULL,
    payload         json        NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    caller          text        NOT NULL,
    idempotency_key text        NULL,
    request_hash    text        NOT NULL,
    CONSTRAINT notifications_pkey PRIMARY KEY (user_id, seq)
);

-- Idempotency is scoped to the calling service; one row per recipient of the original request.
-- Concurrent duplicates are resolved by this index (unique_violation), not by a read-then-write.
CREATE UNIQUE INDEX notifications_idempotency
    ON notifications (caller, idempotency_key, user_id)
    WHERE idempotency_key IS NOT NULL;

-- Retention finds expired rows without scanning the table.
CREATE INDEX notifications_expires_at ON notifications (expires_at);
