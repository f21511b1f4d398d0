using Dapper;
using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    // Retention can forget the key between a skipped insert and the read that follows; the next attempt then
    // stores the request anew. Two retries cover that race.
    private const int MaxAppendAttempts = 3;

    /// <inheritdoc />
    /// <remarks>
    /// Small requests that arrive while earlier ones are being written are committed together in one transaction
    /// (group commit, <see cref="PostgresGroupCommitter"/>, <see cref="PostgresStoreOptions.GroupCommitMaxRows"/>); each caller still gets its own result
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

        // A send with webPush also queues its pushes (AppendWithPush): alone, so the group statement, the busiest
        // code of the store, never carries a step that only these sends need.
        if (request.WebPush is not null || append.UserIds.Length > _options.GroupCommitMaxRequestRows || _options.GroupCommitMaxRows <= 0)
        {
            return AppendAloneAsync(append, cancellationToken);
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _groupCommitter.EnqueueAsync(append, cancellationToken);
    }

    /// <summary>One request in its own transaction, answering an idempotent retry from the key's original result.</summary>
    /// <remarks>
    /// When the connection dies under the statement, nobody can tell whether it committed: Npgsql has already written
    /// it when it reads the dead session's farewell (57P01), and a commit's answer can be lost on the way back. With an
    /// idempotency key the statement is run once more on a new connection, which is safe: it either stores the request
    /// or finds the key its first run committed and answers with that result (this request's own ids, so not a
    /// replay). Without a key it runs in a transaction (<see cref="OnLostConnection.Fail"/>): a connection found dead
    /// before the <c>COMMIT</c> was sent (a pooled one after a restart) committed nothing and the request is written
    /// on a new one; only a connection lost during the <c>COMMIT</c> leaves it in doubt, and then the caller gets
    /// <see cref="StoreUnavailableException"/> (503) and decides, as the contract says, by retrying with a key.
    /// </remarks>
    internal Task<AppendResult> AppendAloneAsync(PreparedAppend append, CancellationToken cancellationToken)
    {
        var request = append.Request;
        return RunAsync(
            async (connection, ct) =>
            {
                for (var attempt = 1; ; attempt++)
                {
                    var stored = await TryInsertAsync(connection, append, ct);
                    if (stored is not null)
                    {
                        // PostgresSql.Append returns the rows in the order of the request's recipients.
                        _metrics?.Committed(stored.Count);
                        return new AppendResult(stored.ConvertAll(row => Stored(append, row)), IsReplay: false);
                    }

                    // Nothing was inserted: the key was used before. Its result answers, a replay unless the earlier
                    // run was this request's own, cut off on a connection that died after the commit.
                    var replay = await ReadReplayAsync(connection, request, ct);
                    if (replay is not null)
                    {
                        var isOwn = replay.Count > 0 && Array.IndexOf(append.Ids, replay[0].Id) >= 0;
                        if (!isOwn)
                        {
                            LogIdempotentReplay(_logger, request.Caller, replay.Count);
                        }

                        return new AppendResult(replay, IsReplay: !isOwn);
                    }

                    if (attempt == MaxAppendAttempts)
                    {
                        throw new InvalidOperationException(
                            $"Idempotency key of caller '{request.Caller}' is in use but its notifications could not be read after {attempt} attempts.");
                    }
                }
            },
            request.IdempotencyKey is null ? OnLostConnection.Fail : OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <summary>The append statement with positional parameters, in the order <see cref="TryInsertAsync"/> adds them.</summary>
    private static readonly PositionalStatement AppendStatement = new(
        PostgresSql.Append,
        "UserIds", "Ids", "Type", "Payload", "CreatedAt", "ExpiresAt", "Caller", "IdempotencyKey", "RequestHash", "SharesPayload");

    /// <summary>The append statement of a send with webPush: <see cref="AppendStatement"/>'s values, then the push's.</summary>
    private static readonly PositionalStatement AppendWithPushStatement = new(
        PostgresSql.AppendWithPush,
        "UserIds", "Ids", "Type", "Payload", "CreatedAt", "ExpiresAt", "Caller", "IdempotencyKey", "RequestHash", "SharesPayload", "PushTitle", "PushBody", "PushUrl");

    /// <summary>Runs the append statement; null when the idempotency key was already used (nothing written).</summary>
    private async Task<List<AppendedRow>?> TryInsertAsync(NpgsqlConnection connection, PreparedAppend append, CancellationToken cancellationToken)
    {
        var request = append.Request;
        try
        {
            await using var command = (request.WebPush is null ? AppendStatement : AppendWithPushStatement).CreateCommand(connection);
            var parameters = command.Parameters;
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = append.UserIds });
            parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = append.Ids });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = request.Type });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = request.PayloadJson });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = append.CreatedAt });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = append.ExpiresAt });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = request.Caller });
            parameters.Add(request.IdempotencyKey is { } key ? new NpgsqlParameter<string> { TypedValue = key } : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = request.RequestHash });
            parameters.Add(new NpgsqlParameter<bool> { TypedValue = append.SharesPayload });
            if (request.WebPush is { } push)
            {
                parameters.Add(new NpgsqlParameter<string> { TypedValue = push.Title });
                parameters.Add(new NpgsqlParameter<string> { TypedValue = push.Body });
                parameters.Add(push.Url is { } url ? new NpgsqlParameter<string> { TypedValue = url } : new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            }

            var rows = await ReadAppendedRowsAsync(command, static r => new AppendedRow { UserId = r.GetString(0), Seq = r.GetInt64(1), Id = r.GetGuid(2) }, cancellationToken);
            return rows.Count == 0 ? null : rows;
        }
        catch (PostgresException exception) when (request.IdempotencyKey is not null && PostgresErrors.IsUniqueViolation(exception, PostgresSql.IdempotencyKeyConstraint))
        {
            // A concurrent request with the same key committed between our NOT EXISTS check and our insert. The
            // statement rolled back as a whole (counters included); answer from the winner's result instead.
            LogIdempotencyRaceResolved(_logger, request.Caller);
            return null;
        }
    }

    /// <summary>The rows an append statement returns, each made by <paramref name="read"/> from the columns (user_id, seq, id[, request]).</summary>
    internal static async Task<List<TRow>> ReadAppendedRowsAsync<TRow>(NpgsqlCommand command, Func<NpgsqlDataReader, TRow> read, CancellationToken cancellationToken)
    {
        var rows = new List<TRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>
    /// The result stored earlier under the request's idempotency key, in the order of the request's user ids; null
    /// when the key is unknown. Throws <see cref="IdempotencyConflictException"/> when it was stored for a different
    /// request.
    /// </summary>
    /// <remarks>
    /// The key row holds ids, seqs and times; type and payload are the request's own, the same as the original's
    /// since the hashes match. The notifications themselves may be gone (delivered and cleaned up, or expired).
    /// </remarks>
    private static async Task<IReadOnlyList<StoredNotification>?> ReadReplayAsync(NpgsqlConnection connection, AppendRequest request, CancellationToken cancellationToken)
    {
        var key = await connection.QuerySingleOrDefaultAsync<IdempotencyKeyRow>(
            new CommandDefinition(PostgresSql.IdempotentRead, new { request.Caller, request.IdempotencyKey }, cancellationToken: cancellationToken));
        if (key is null)
        {
            return null;
        }

        if (!string.Equals(key.RequestHash, request.RequestHash, StringComparison.Ordinal))
        {
            throw new IdempotencyConflictException(request.Caller, request.IdempotencyKey!);
        }

        var position = new Dictionary<string, int>(request.UserIds.Count, StringComparer.Ordinal);
        for (var i = 0; i < request.UserIds.Count; i++)
        {
            position.TryAdd(request.UserIds[i], i);
        }

        var createdAt = ToUtcOffset(key.CreatedAt);
        var expiresAt = ToUtcOffset(key.ExpiresAt);
        return Enumerable.Range(0, key.UserIds.Length)
            .OrderBy(i => position.GetValueOrDefault(key.UserIds[i], int.MaxValue))
            .ThenBy(i => i)
            .Select(i => new StoredNotification(key.UserIds[i], key.Seqs[i], key.Ids[i], request.Type, request.PayloadJson, createdAt, expiresAt))
            .ToList();
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

    internal static StoredNotification Stored(PreparedAppend append, AppendedRow row) =>
        new(row.UserId, row.Seq, row.Id, append.Request.Type, append.Request.PayloadJson, append.CreatedAt, append.ExpiresAt);
}
