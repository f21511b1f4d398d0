using Dapper;
using Npgsql;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    private const string IdempotencyIndex = "notifications_idempotency";

    // One statement, one round trip, for one user or ten thousand:
    // - input: the recipients with their pre-generated ids and request position; empty when the caller already
    //   used this idempotency key (then nothing is written and the caller reads the original rows).
    // - counters: raises each user's last_seq (creating the stream on first use) and returns the new value as
    //   the row's seq. The upsert runs in user_id order, so two fan-outs over overlapping users take the row
    //   locks in the same order and wait for each other instead of deadlocking. Holding the stream row lock
    //   until commit is what makes seq order commit order per user.
    // - inserted: the notifications, with those seqs.
    // The statement is its own transaction: a unique_violation (a concurrent duplicate idempotency key) rolls
    // back the counters with the rows, leaving no hole in any stream.
    private const string AppendSql = """
        WITH input AS (
            SELECT r.user_id, r.id, r.ord
            FROM unnest(@UserIds::text[], @Ids::uuid[]) WITH ORDINALITY AS r(user_id, id, ord)
            WHERE @IdempotencyKey::text IS NULL
               OR NOT EXISTS (
                   SELECT 1 FROM notifications AS n
                   WHERE n.caller = @Caller AND n.idempotency_key = @IdempotencyKey::text)
        ),
        counters AS (
            INSERT INTO user_streams AS s (user_id, last_seq, acked_seq, pruned_seq)
            SELECT i.user_id, 1, 0, 0
            FROM input AS i
            ORDER BY i.user_id
            ON CONFLICT (user_id) DO UPDATE SET last_seq = s.last_seq + 1
            RETURNING s.user_id, s.last_seq
        ),
        inserted AS (
            INSERT INTO notifications (user_id, seq, id, type, payload, created_at, expires_at, caller, idempotency_key, request_hash)
            SELECT c.user_id, c.last_seq, i.id, @Type, @Payload::json, @CreatedAt, @ExpiresAt, @Caller, @IdempotencyKey::text, @RequestHash
            FROM counters AS c
            JOIN input AS i ON i.user_id = c.user_id
            RETURNING user_id, seq, id
        )
        SELECT ins.user_id AS UserId, ins.seq AS Seq, ins.id AS Id
        FROM inserted AS ins
        JOIN input AS i ON i.id = ins.id
        ORDER BY i.ord
        """;

    private const string IdempotentReadSql = """
        SELECT user_id AS UserId, seq AS Seq, id AS Id, type AS Type, payload::text AS PayloadJson,
               created_at AS CreatedAt, expires_at AS ExpiresAt, request_hash AS RequestHash
        FROM notifications
        WHERE caller = @Caller AND idempotency_key = @IdempotencyKey
        """;

    // Retention can remove the original rows between a skipped insert and the read that follows; the key is
    // then forgotten and the next attempt stores the request anew. Two retries cover that race.
    private const int MaxAppendAttempts = 3;

    /// <inheritdoc />
    /// <remarks>
    /// Small requests that arrive while earlier ones are being written are committed together in one transaction
    /// (group commit, <see cref="PostgresStoreSettings.GroupCommitMaxRows"/>); each caller still gets its own result
    /// and its own errors.
    /// </remarks>
    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.UserIds.Count == 0)
        {
            return Task.FromResult(new AppendResult([], IsReplay: false));
        }

        var append = new PreparedAppend(request, DistinctUserIds(request.UserIds));
        return append.UserIds.Length > _settings.GroupCommitMaxRequestRows || _settings.GroupCommitMaxRows <= 0
            ? AppendAloneAsync(append, cancellationToken)
            : EnqueueForGroupCommit(append, cancellationToken);
    }

    /// <summary>One request in its own transaction, answering an idempotent retry from the original rows.</summary>
    private Task<AppendResult> AppendAloneAsync(PreparedAppend append, CancellationToken cancellationToken)
    {
        var request = append.Request;
        var parameters = new
        {
            append.UserIds,
            append.Ids,
            request.Type,
            Payload = request.PayloadJson,
            append.CreatedAt,
            append.ExpiresAt,
            request.Caller,
            request.IdempotencyKey,
            request.RequestHash,
        };

        return RunAsync(
            async (connection, ct) =>
            {
                for (var attempt = 1; ; attempt++)
                {
                    var stored = await TryInsertAsync(connection, parameters, request, ct);
                    if (stored is not null)
                    {
                        // AppendSql returns the rows in the order of the request's recipients.
                        return new AppendResult(stored.ConvertAll(row => Stored(append, row)), IsReplay: false);
                    }

                    // Nothing was inserted: the caller used this key before. The original rows answer the retry.
                    var replay = await ReadReplayAsync(connection, request, ct);
                    if (replay is not null)
                    {
                        LogIdempotentReplay(_logger, request.Caller, replay.Count);
                        return new AppendResult(replay, IsReplay: true);
                    }

                    if (attempt == MaxAppendAttempts)
                    {
                        throw new InvalidOperationException(
                            $"Idempotency key of caller '{request.Caller}' is in use but its notifications could not be read after {attempt} attempts.");
                    }
                }
            },
            cancellationToken);
    }

    /// <summary>Runs the append statement; null when the idempotency key was already used (nothing written).</summary>
    private async Task<List<AppendedRow>?> TryInsertAsync(NpgsqlConnection connection, object parameters, AppendRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var rows = (await connection.QueryAsync<AppendedRow>(new CommandDefinition(AppendSql, parameters, cancellationToken: cancellationToken))).AsList();
            return rows.Count == 0 ? null : rows;
        }
        catch (PostgresException exception) when (request.IdempotencyKey is not null && PostgresErrors.IsUniqueViolation(exception, IdempotencyIndex))
        {
            // A concurrent request with the same key committed between our NOT EXISTS check and our insert. The
            // statement rolled back as a whole (counters included); answer from the winner's rows instead.
            LogIdempotencyRaceResolved(_logger, request.Caller);
            return null;
        }
    }

    /// <summary>
    /// The notifications stored earlier under the request's idempotency key, in the order of the request's user
    /// ids; null when there are none. Throws <see cref="IdempotencyConflictException"/> when they were stored for a
    /// different request.
    /// </summary>
    private static async Task<IReadOnlyList<StoredNotification>?> ReadReplayAsync(NpgsqlConnection connection, AppendRequest request, CancellationToken cancellationToken)
    {
        var rows = (await connection.QueryAsync<NotificationRow>(
            new CommandDefinition(IdempotentReadSql, new { request.Caller, request.IdempotencyKey }, cancellationToken: cancellationToken))).AsList();
        if (rows.Count == 0)
        {
            return null;
        }

        if (rows.Exists(row => !string.Equals(row.RequestHash, request.RequestHash, StringComparison.Ordinal)))
        {
            throw new IdempotencyConflictException(request.Caller, request.IdempotencyKey!);
        }

        var byUser = rows.ToDictionary(static row => row.UserId, StringComparer.Ordinal);
        var replay = new List<StoredNotification>(rows.Count);
        foreach (var userId in request.UserIds)
        {
            if (byUser.TryGetValue(userId, out var row))
            {
                replay.Add(row.ToStored());
            }
        }

        return replay;
    }

    private static string[] DistinctUserIds(IReadOnlyList<string> userIds)
    {
        var array = new string[userIds.Count];
        var seen = new HashSet<string>(userIds.Count, StringComparer.Ordinal);
        for (var i = 0; i < array.Length; i++)
        {
            var userId = userIds[i] ?? throw new ArgumentException("A user id is null.", nameof(userIds));

            // The upsert cannot touch one stream row twice in a statement; the API hands over distinct ids.
            if (!seen.Add(userId))
            {
                throw new ArgumentException($"User id '{userId}' appears more than once; recipients must be distinct.", nameof(userIds));
            }

            array[i] = userId;
        }

        return array;
    }

    private static StoredNotification Stored(PreparedAppend append, AppendedRow row) =>
        new(row.UserId, row.Seq, row.Id, append.Request.Type, append.Request.PayloadJson, append.CreatedAt, append.ExpiresAt);
}
