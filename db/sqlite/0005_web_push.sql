-- Web Push (POST /push/subscriptions, sends with "webPush"). Times are UTC ticks.

-- A browser's push subscription. The endpoint is the primary key: one browser belongs to one user at a time, and a
-- browser that subscribes for another user moves to that user.
CREATE TABLE push_subscriptions (
    endpoint   TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    p256dh     TEXT    NOT NULL,
    auth       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX ix_push_subscriptions_user_id ON push_subscriptions (user_id, created_at);

-- The queue of pushes: one row per recipient of a send with webPush, written in the send's own transaction. A worker
-- claims due rows with a lease (lease_id until leased_until) and deletes a row once it is done.
CREATE TABLE push_jobs (
    id               INTEGER NOT NULL PRIMARY KEY,
    user_id          TEXT    NOT NULL,
    seq              INTEGER NOT NULL,
    notification_id  TEXT    NOT NULL,
    type             TEXT    NOT NULL,
    title            TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    url              TEXT    NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    due_at           INTEGER NOT NULL,
    presence_checked INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_id         TEXT    NULL,
    leased_until     INTEGER NULL
);

CREATE INDEX ix_push_jobs_due_at ON push_jobs (due_at);
