-- Token revocation (POST /api/users/{userId}/disconnect with {"revokeTokens": true}): every user token
-- issued before revoked_before (UTC ticks) is refused at the handshake and on in-band refresh. One row
-- per user ever revoked; a later revocation only raises the instant. Rows are kept: a revocation has to
-- outlive the tokens it revokes, whose lifetime the server does not know.
CREATE TABLE user_revocations (
    user_id        TEXT    NOT NULL PRIMARY KEY,
    revoked_before INTEGER NOT NULL
);
