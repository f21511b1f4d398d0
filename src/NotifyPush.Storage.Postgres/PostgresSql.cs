namespace NotifyPush.Storage.Postgres;

/// <summary>
/// Every statement the Postgres store runs, in one place; the schema they run against is in <c>db/postgres/</c>.
/// Columns are explicit and parameters are Dapper's <c>@Name</c>.
/// </summary>
/// <remarks>
/// Stream rows (<c>user_streams</c>) are locked in user_id order by every writer (appends, acks, cleanup), so writers
/// touching overlapping users wait for each other instead of deadlocking.
/// </remarks>
internal static class PostgresSql
{
    // ---- Reads ----

    // The payload is the row's own (written before 0005_shared_payloads) or the send's shared row. A shared row is
    // removed at its expiry, which its notifications share: one whose payload is gone has expired (a replica whose
    // clock runs behind the cleaner's could still see it as live) and is not returned.
    public const string Read = """
        SELECT n.user_id AS UserId, n.seq AS Seq, n.id AS Id, n.type AS Type, coalesce(n.payload, p.payload)::text AS PayloadJson,
               n.created_at AS CreatedAt, n.expires_at AS ExpiresAt
        FROM notifications AS n
        LEFT JOIN notification_payloads AS p ON p.id = n.payload_id
        WHERE n.user_id = @UserId AND n.seq > @AfterSeq AND n.expires_at > @Now
          AND (n.payload IS NOT NULL OR p.id IS NOT NULL)
        ORDER BY n.seq
        LIMIT @Limit
        """;

    public const string StreamState = """
        SELECT last_seq AS LastSeq, acked_seq AS AckedSeq, pruned_seq AS PrunedSeq
        FROM user_streams
        WHERE user_id = @UserId
        """;

    // The stream states of the handshakes in flight at once (StreamReplay), one index lookup per id.
    public const string StreamStates = """
        SELECT user_id AS UserId, last_seq AS LastSeq, acked_seq AS AckedSeq, pruned_seq AS PrunedSeq
        FROM user_streams
        WHERE user_id = ANY(@UserIds)
        """;

    // The position check's batch: one index lookup per id on the primary key, one round trip for the whole batch.
    public const string StreamHeads = """
        SELECT user_id AS UserId, last_seq AS LastSeq
        FROM user_streams
        WHERE user_id = ANY(@UserIds)
        """;

    public const string Ping = "SELECT 1";

    // ---- Appends ----

    // One statement, one round trip, for one user or ten thousand:
    // - input: the recipients with their pre-generated ids and request position; empty when the caller already
    //   used this idempotency key (then nothing is written and the caller reads the key's original result).
    // - counters: raises each user's last_seq (creating the stream on first use) and returns the new value as
    //   the row's seq. The upsert runs in user_id order, so two fan-outs over overlapping users take the row
    //   locks in the same order and wait for each other instead of deadlocking. Holding the stream row lock
    //   until commit is what makes seq order commit order per user.
    // - shared: with @SharesPayload (more than one recipient), the payload, once for the whole send (none when
    //   nothing is written).
    // - inserted: the notifications, with those seqs, each pointing at the shared payload, or (one recipient)
    //   holding the payload in its own row: a payload row of its own would be a second row for nothing.
    // - remembered: with a key, the key and the result (recipients in request order, their ids and seqs), which
    //   outlive the notifications.
    // The statement is its own transaction: a unique_violation on idempotency_keys_pkey (a concurrent duplicate
    // key) rolls back the counters with the rows, leaving no hole in any stream.
    public const string Append = AppendSteps + "\n" + AppendResult;

    // Append for a send with webPush: the same steps, and pushed queues one push job per inserted notification, due at
    // once, in the same statement and so the same transaction (the store is the queue). Only such sends run it: every
    // other send keeps the statement above, and a send with webPush is never part of a group commit.
    public const string AppendWithPush = AppendSteps + ",\n" + """
        pushed AS (
            INSERT INTO push_jobs (user_id, seq, notification_id, type, title, body, url, created_at, expires_at, due_at)
            SELECT ins.user_id, ins.seq, ins.id, @Type, @PushTitle, @PushBody, @PushUrl::text, @CreatedAt, @ExpiresAt, @CreatedAt
            FROM inserted AS ins
        )
        """ + "\n" + AppendResult;

    private const string AppendSteps = """
        WITH input AS (
            SELECT r.user_id, r.id, r.ord
            FROM unnest(@UserIds::text[], @Ids::uuid[]) WITH ORDINALITY AS r(user_id, id, ord)
            WHERE @IdempotencyKey::text IS NULL
               OR NOT EXISTS (
                   SELECT 1 FROM idempotency_keys AS k
                   WHERE k.caller = @Caller AND k.idempotency_key = @IdempotencyKey::text)
        ),
        counters AS (
            INSERT INTO user_streams AS s (user_id, last_seq, acked_seq, pruned_seq)
            SELECT i.user_id, 1, 0, 0
            FROM input AS i
            ORDER BY i.user_id
            ON CONFLICT (user_id) DO UPDATE SET last_seq = s.last_seq + 1
            RETURNING s.user_id, s.last_seq
        ),
        shared AS (
            INSERT INTO notification_payloads (payload, created_at, expires_at)
            SELECT @Payload::json, @CreatedAt, @ExpiresAt
            WHERE @SharesPayload AND EXISTS (SELECT 1 FROM input)
            RETURNING id
        ),
        inserted AS (
            INSERT INTO notifications (user_id, seq, id, type, payload, payload_id, created_at, expires_at)
            SELECT c.user_id, c.last_seq, i.id, @Type, CASE WHEN sh.id IS NULL THEN @Payload::json END, sh.id, @CreatedAt, @ExpiresAt
            FROM counters AS c
            JOIN input AS i ON i.user_id = c.user_id
            LEFT JOIN shared AS sh ON true
            RETURNING user_id, seq, id
        ),
        remembered AS (
            INSERT INTO idempotency_keys (caller, idempotency_key, request_hash, created_at, expires_at, user_ids, ids, seqs)
            SELECT @Caller, @IdempotencyKey::text, @RequestHash, @CreatedAt, @ExpiresAt,
                   array_agg(ins.user_id ORDER BY i.ord), array_agg(ins.id ORDER BY i.ord), array_agg(ins.seq ORDER BY i.ord)
            FROM inserted AS ins
            JOIN input AS i ON i.id = ins.id
            WHERE @IdempotencyKey::text IS NOT NULL
            HAVING count(*) > 0
        )
        """;

    private const string AppendResult = """
        SELECT ins.user_id AS UserId, ins.seq AS Seq, ins.id AS Id
        FROM inserted AS ins
        JOIN input AS i ON i.id = ins.id
        ORDER BY i.ord
        """;

    // The append statement for many requests at once (group commit). Differences from Append:
    // - requests: one row per request (type, payload, times, idempotency); a request whose key the caller already
    //   used contributes no rows and is answered afterwards from the key's result, as a lone request would be.
    //   Each written request with more than one recipient (@SharesPayload) takes its payload row's id from the
    //   identity's sequence here (materialized once), so that shared can insert the payloads and numbered point at
    //   them without matching RETURNING rows back; a request to one user keeps its payload in its row.
    // - A user may appear in several requests of one batch. The upsert may touch each stream row once per
    //   statement, so it raises last_seq by the user's row count, and the rows take the seqs below the new
    //   last_seq in request order (ord). Row locks are still taken in user_id order, as by every other writer.
    // - remembered: one key row per request that has a key. A batch never holds one key twice (TakeGroup).
    // - The used-key check is a lateral lookup per request, one probe of idempotency_keys_pkey each (a key of NULL
    //   matches nothing). Written as `key IS NULL OR NOT EXISTS (…)` the planner may hash the whole table for every
    //   batch instead: a sequential scan of every key of the window per statement, which made the table's size the
    //   cost of a send.
    public const string GroupAppend = """
        WITH requests AS MATERIALIZED (
            SELECT q.req, q.type, q.payload, q.created_at, q.expires_at, q.caller, q.idempotency_key, q.request_hash,
                   CASE WHEN q.shares_payload THEN nextval(pg_get_serial_sequence('notification_payloads', 'id')) END AS payload_id
            FROM unnest(@Types::text[], @Payloads::text[], @CreatedAts::timestamptz[], @ExpiresAts::timestamptz[],
                        @Callers::text[], @IdempotencyKeys::text[], @RequestHashes::text[], @SharesPayloads::boolean[])
                 WITH ORDINALITY AS q(type, payload, created_at, expires_at, caller, idempotency_key, request_hash, shares_payload, req)
            LEFT JOIN LATERAL (
                SELECT true AS used FROM idempotency_keys AS k
                WHERE k.caller = q.caller AND k.idempotency_key = q.idempotency_key
                LIMIT 1) AS u ON true
            WHERE u.used IS NULL
        ),
        input AS (
            SELECT r.user_id, r.id, r.ord, q.*
            FROM unnest(@UserIds::text[], @Ids::uuid[], @RowRequests::bigint[]) WITH ORDINALITY AS r(user_id, id, req, ord)
            JOIN requests AS q ON q.req = r.req
        ),
        counts AS (
            SELECT i.user_id, count(*) AS n
            FROM input AS i
            GROUP BY i.user_id
        ),
        counters AS (
            INSERT INTO user_streams AS s (user_id, last_seq, acked_seq, pruned_seq)
            SELECT c.user_id, c.n, 0, 0
            FROM counts AS c
            ORDER BY c.user_id
            ON CONFLICT (user_id) DO UPDATE SET last_seq = s.last_seq + excluded.last_seq
            RETURNING s.user_id, s.last_seq
        ),
        numbered AS (
            SELECT i.*, c.last_seq - k.n + row_number() OVER (PARTITION BY i.user_id ORDER BY i.ord) AS seq
            FROM input AS i
            JOIN counters AS c ON c.user_id = i.user_id
            JOIN counts AS k ON k.user_id = i.user_id
        ),
        shared AS (
            INSERT INTO notification_payloads (id, payload, created_at, expires_at)
            SELECT q.payload_id, q.payload::json, q.created_at, q.expires_at
            FROM requests AS q
            WHERE q.payload_id IS NOT NULL
        ),
        inserted AS (
            INSERT INTO notifications (user_id, seq, id, type, payload, payload_id, created_at, expires_at)
            SELECT n.user_id, n.seq, n.id, n.type, CASE WHEN n.payload_id IS NULL THEN n.payload::json END, n.payload_id, n.created_at, n.expires_at
            FROM numbered AS n
            RETURNING user_id, seq, id
        ),
        remembered AS (
            INSERT INTO idempotency_keys (caller, idempotency_key, request_hash, created_at, expires_at, user_ids, ids, seqs)
            SELECT i.caller, i.idempotency_key, i.request_hash, i.created_at, i.expires_at,
                   array_agg(ins.user_id ORDER BY i.ord), array_agg(ins.id ORDER BY i.ord), array_agg(ins.seq ORDER BY i.ord)
            FROM inserted AS ins
            JOIN input AS i ON i.id = ins.id
            WHERE i.idempotency_key IS NOT NULL
            GROUP BY i.req, i.caller, i.idempotency_key, i.request_hash, i.created_at, i.expires_at
        )
        SELECT ins.user_id AS UserId, ins.seq AS Seq, ins.id AS Id, i.req AS Request
        FROM inserted AS ins
        JOIN input AS i ON i.id = ins.id
        """;

    /// <summary>The primary key that turns a concurrent duplicate idempotency key into a unique_violation.</summary>
    public const string IdempotencyKeyConstraint = "idempotency_keys_pkey";

    public const string IdempotentRead = """
        SELECT request_hash AS RequestHash, created_at AS CreatedAt, expires_at AS ExpiresAt,
               user_ids AS UserIds, ids AS Ids, seqs AS Seqs
        FROM idempotency_keys
        WHERE caller = @Caller AND idempotency_key = @IdempotencyKey
        """;

    // ---- Acknowledgements ----

    // Row locks are taken in user_id order (ORDER BY … FOR NO KEY UPDATE, materialised before the UPDATE), the
    // same order appends and cleanup use, so a batch of acks never deadlocks with them. max() folds several acks
    // of one user; least() clamps to last_seq; the WHERE never lowers acked_seq.
    public const string Acknowledge = """
        WITH requested AS (
            SELECT a.user_id, max(a.seq) AS seq
            FROM unnest(@UserIds::text[], @Seqs::bigint[]) AS a(user_id, seq)
            GROUP BY a.user_id
        ),
        locked AS (
            SELECT s.user_id, r.seq
            FROM user_streams AS s
            JOIN requested AS r ON r.user_id = s.user_id
            WHERE r.seq > s.acked_seq
            ORDER BY s.user_id
            FOR NO KEY UPDATE OF s
        )
        UPDATE user_streams AS s
        SET acked_seq = least(l.seq, s.last_seq)
        FROM locked AS l
        WHERE s.user_id = l.user_id AND least(l.seq, s.last_seq) > s.acked_seq
        """;

    // ---- Retention ----

    // Transaction-scoped: released by the commit or by the connection dying, never left behind. The key is the lock
    // class and a hash of the schema name, so replicas of one deployment share a lock and tests in separate schemas
    // do not.
    public const string TryCleanupLock = "SELECT pg_try_advisory_xact_lock(@LockClass, hashtext(coalesce(current_schema(), '')))";

    // doomed: up to one batch of rows that expired, or were acknowledged and are older than the history window.
    // Each kind is its own index-ordered scan that stops at the batch size (migration 0004): expired rows by
    // notifications_expires_at, old rows by notifications_created_at, joined to their stream for acked_seq. One
    // WHERE with OR over both would be a sequential scan of the whole table on every pass. The old rows that are
    // not acknowledged yet are passed over in the second scan; with a ttl no longer than the history window (the
    // defaults) there are none, since they expire first.
    // pruned_seq is raised per affected user to the highest seq removed, so a resume point below it is known to
    // be incomplete. The stream rows are locked in user_id order (as appends and acks do) before the update.
    public const string Cleanup = """
        WITH doomed AS (
            (SELECT n.user_id, n.seq
             FROM notifications AS n
             WHERE n.expires_at <= @Now
             ORDER BY n.expires_at
             LIMIT @BatchSize)
            UNION
            (SELECT n.user_id, n.seq
             FROM notifications AS n
             JOIN user_streams AS s ON s.user_id = n.user_id
             WHERE n.created_at <= @AckedBefore AND n.seq <= s.acked_seq
             ORDER BY n.created_at
             LIMIT @BatchSize)
            LIMIT @BatchSize
        ),
        deleted AS (
            DELETE FROM notifications AS n
            USING doomed AS d
            WHERE n.user_id = d.user_id AND n.seq = d.seq
            RETURNING n.user_id, n.seq
        ),
        locked AS (
            SELECT s.user_id, p.seq
            FROM user_streams AS s
            JOIN (SELECT user_id, max(seq) AS seq FROM deleted GROUP BY user_id) AS p ON p.user_id = s.user_id
            ORDER BY s.user_id
            FOR NO KEY UPDATE OF s
        ),
        raised AS (
            UPDATE user_streams AS s
            SET pruned_seq = greatest(s.pruned_seq, l.seq)
            FROM locked AS l
            WHERE s.user_id = l.user_id
        )
        SELECT count(*)::int FROM deleted
        """;

    // Shared payloads (0005_shared_payloads) whose send has expired, a batch at a time by the expires_at index. Every
    // notification of a send shares its expiry, so none of them is delivered any more; their own rows go by Cleanup.
    // A payload goes only once no notification of its expiry or earlier is left (one lookup on
    // notifications_expires_at): a fan-out's rows are removed over several batches, and a stored row must never
    // point at a removed payload, or a gap fill would find a seq missing that the store does not report removed.
    // SKIP LOCKED: a replica cleaning at the same moment takes other rows instead of waiting.
    public const string CleanupPayloads = """
        DELETE FROM notification_payloads
        WHERE id IN (
            SELECT id
            FROM notification_payloads
            WHERE expires_at <= @Now
              AND expires_at < coalesce((SELECT min(expires_at) FROM notifications), 'infinity')
            ORDER BY expires_at
            LIMIT @BatchSize
            FOR UPDATE SKIP LOCKED)
        """;

    // Keys older than the window, a batch at a time, by the created_at index. SKIP LOCKED: replicas cleaning at
    // the same moment take different keys instead of waiting for each other.
    public const string CleanupIdempotencyKeys = """
        DELETE FROM idempotency_keys
        WHERE (caller, idempotency_key) IN (
            SELECT caller, idempotency_key
            FROM idempotency_keys
            WHERE created_at < @CreatedBefore
            LIMIT @BatchSize
            FOR UPDATE SKIP LOCKED)
        """;

    // ---- Migrations ----

    // Blocking and transaction-scoped: replicas starting together queue here. The key is the target schema's name,
    // since the schema itself may not exist yet.
    public const string MigrationLock = "SELECT pg_advisory_xact_lock(@LockClass, hashtext(coalesce(@Schema, current_schema(), '')))";

    public const string SchemaExists = "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @Schema)";

    public const string MigrationsTableExists = """
        SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations')
        """;

    public const string CreateMigrationsTable = """
        CREATE TABLE schema_migrations (
            version    integer     NOT NULL PRIMARY KEY,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            checksum   text
        )
        """;

    // Tables made by builds before checksums were recorded gain the column; their rows get this build's checksums
    // (RecordChecksum), trusted on first sight, and are checked from then on.
    // Checked first: ALTER TABLE needs the table's ownership even when the column exists, and a role that only migrates
    // a schema someone else made must still start once the column is there.
    public const string MigrationChecksumExists = """
        SELECT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum')
        """;

    public const string AddMigrationChecksum = "ALTER TABLE schema_migrations ADD COLUMN checksum text";

    public const string AppliedMigrations = "SELECT version AS Version, checksum AS Checksum FROM schema_migrations ORDER BY version";

    public const string RecordMigration = "INSERT INTO schema_migrations (version, name, checksum) VALUES (@Version, @Name, @Checksum)";

    public const string RecordChecksum = "UPDATE schema_migrations SET checksum = @Checksum WHERE version = @Version AND checksum IS NULL";
}
