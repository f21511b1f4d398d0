using System.Globalization;

namespace NotifyPush.Storage.Sqlite;

/// <summary>
/// Every statement the SQLite store runs, in one place; the schema they run against is in <c>db/sqlite/</c>.
/// Columns are explicit; times are UTC ticks.
/// </summary>
internal static class SqliteSql
{
    // ---- Connection set-up ----

    public const string JournalModeWal = "PRAGMA journal_mode = WAL";

    public const string SynchronousFull = "PRAGMA synchronous = FULL";

    public const string SqliteVersion = "SELECT sqlite_version()";

    public const string Ping = "SELECT 1";

    // The schema version: the number of the last migration applied (SqliteMigrations).
    public const string UserVersion = "PRAGMA user_version";

    // Each applied migration's checksum (SqliteMigrations): made by the code, not by a migration, as in PostgreSQL.
    public const string CreateMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version  INTEGER NOT NULL PRIMARY KEY,
            name     TEXT    NOT NULL,
            checksum TEXT    NOT NULL
        )
        """;

    public const string AppliedMigrations = "SELECT version AS Version, checksum AS Checksum FROM schema_migrations ORDER BY version";

    public const string RecordMigration = "INSERT INTO schema_migrations (version, name, checksum) VALUES (@Version, @Name, @Checksum)";

    // ---- Reads ----

    // Served by the primary key (user_id, seq): a range scan of one user's stream. The payload is the row's own
    // (written before 0004_shared_payloads) or the send's shared row; one whose shared row is gone has expired.
    public const string Read = """
        SELECT n.user_id AS UserId, n.seq AS Seq, n.id AS Id, n.type AS Type,
               CASE WHEN n.payload_id IS NULL THEN n.payload ELSE p.payload END AS Payload,
               n.created_at AS CreatedAt, n.expires_at AS ExpiresAt
        FROM notifications AS n
        LEFT JOIN notification_payloads AS p ON p.id = n.payload_id
        WHERE n.user_id = @UserId AND n.seq > @AfterSeq AND n.expires_at > @Now
          AND (n.payload_id IS NULL OR p.id IS NOT NULL)
        ORDER BY n.seq
        LIMIT @Limit
        """;

    // The position check's batch: the ids travel as one JSON array parameter (SQLite caps the number of parameters),
    // each looked up on the primary key; one statement for the whole batch.
    public const string StreamHeads = """
        SELECT user_id AS UserId, last_seq AS LastSeq
        FROM user_streams
        WHERE user_id IN (SELECT value FROM json_each(@UserIds))
        """;

    public const string StreamState = """
        SELECT last_seq AS LastSeq, acked_seq AS AckedSeq, pruned_seq AS PrunedSeq
        FROM user_streams
        WHERE user_id = @UserId
        """;

    // ---- Appends ----

    // The per-user counter is raised in the same transaction as the insert, so seqs have no holes and,
    // with one writer at a time, seq order is commit order. The row is created on a user's first append.
    public const string NextSeq = """
        INSERT INTO user_streams (user_id, last_seq) VALUES (@user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET last_seq = last_seq + 1
        RETURNING last_seq
        """;

    // Once per append: the payload every recipient's row points at.
    public const string InsertPayload = """
        INSERT INTO notification_payloads (payload, created_at, expires_at)
        VALUES (@Payload, @CreatedAt, @ExpiresAt)
        RETURNING id
        """;

    // With a shared payload (payload_id) the row's own payload column is empty: it is NOT NULL since version 1.
    public const string InsertNotification = """
        INSERT INTO notifications (user_id, seq, id, type, payload, payload_id, created_at, expires_at)
        VALUES (@user_id, @seq, @id, @type, @payload, @payload_id, @created_at, @expires_at)
        """;

    // Runs inside the append's write transaction: no other append can store the same key between this read and
    // the insert that follows it.
    public const string SelectIdempotencyKey = """
        SELECT request_hash AS RequestHash, created_at AS CreatedAt, expires_at AS ExpiresAt, notifications AS Notifications
        FROM idempotency_keys
        WHERE caller = @Caller AND idempotency_key = @IdempotencyKey
        """;

    public const string InsertIdempotencyKey = """
        INSERT INTO idempotency_keys (caller, idempotency_key, request_hash, created_at, expires_at, notifications)
        VALUES (@Caller, @IdempotencyKey, @RequestHash, @CreatedAt, @ExpiresAt, @Notifications)
        """;

    // ---- Acknowledgements and retention ----

    // Never lowers (a late ack of an older seq) and never passes last_seq (an ack from a confused client);
    // the WHERE skips rows that would not change, and unknown users match nothing.
    public const string Acknowledge = """
        UPDATE user_streams
        SET acked_seq = MIN(@Seq, last_seq)
        WHERE user_id = @UserId AND acked_seq < MIN(@Seq, last_seq)
        """;

    // Two index range scans (expiry, age) joined by UNION so a row both expired and delivered counts once.
    // rowid keeps the DELETE a lookup by the table's own key.
    public const string DeleteDue = """
        DELETE FROM notifications
        WHERE rowid IN (
            SELECT rowid FROM notifications WHERE expires_at <= @Now
            UNION
            SELECT n.rowid FROM notifications AS n
            JOIN user_streams AS s ON s.user_id = n.user_id
            WHERE n.created_at < @DeliveredBefore AND n.seq <= s.acked_seq
            LIMIT @BatchSize)
        RETURNING user_id AS UserId, seq AS Seq
        """;

    public const string RaisePrunedSeq = """
        UPDATE user_streams SET pruned_seq = @Seq WHERE user_id = @UserId AND pruned_seq < @Seq
        """;

    // Shared payloads whose send has expired, a batch at a time, by the expires_at index. Every notification of a
    // send shares its expiry, so none of them is delivered any more; their own rows go by DeleteDue. A payload goes
    // only once no notification of its expiry or earlier is left (one lookup on ix_notifications_expires_at): a
    // fan-out's rows are removed over several batches, and a stored row must never point at a removed payload, or a
    // gap fill would find a seq missing that the store does not report removed.
    public const string DeletePayloads = """
        DELETE FROM notification_payloads
        WHERE id IN (
            SELECT id FROM notification_payloads
            WHERE expires_at <= @Now
              AND expires_at < coalesce((SELECT min(expires_at) FROM notifications), 9223372036854775807)
            ORDER BY expires_at
            LIMIT @BatchSize)
        """;

    // Keys older than the window, a batch at a time, by the created_at index.
    public const string DeleteIdempotencyKeys = """
        DELETE FROM idempotency_keys
        WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created_at < @CreatedBefore LIMIT @BatchSize)
        """;

    // PRAGMAs take no parameters; these values are integers this process computed, never input.
    public static string BusyTimeout(int milliseconds) =>
        string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {milliseconds}");

    public static string SetUserVersion(int version) =>
        string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {version}");
}
