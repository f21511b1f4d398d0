using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    private readonly Lock _groupGate = new();
    private readonly Queue<PreparedAppend> _groupQueue = new();
    private int _groupFlushers;

    private Task<AppendResult> EnqueueForGroupCommit(PreparedAppend append, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        append.WatchCancellation(cancellationToken);
        var startFlusher = false;
        lock (_groupGate)
        {
            _groupQueue.Enqueue(append);
            if (_groupFlushers < Math.Max(1, _options.GroupCommitConcurrency))
            {
                _groupFlushers++;
                startFlusher = true;
            }
        }

        if (startFlusher)
        {
            // Off the caller's stack: the flusher keeps going for later requests after this one is answered.
            // Without the caller's execution context: the flusher serves many requests, and it would otherwise carry
            // this one's activity (its trace id in every log line and span of later batches).
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(FlushGroupsAsync);
            }
        }

        return append.Completion.Task;
    }

    private async Task FlushGroupsAsync()
    {
        while (true)
        {
            List<PreparedAppend> batch;
            lock (_groupGate)
            {
                batch = TakeGroup();
                if (batch.Count == 0)
                {
                    _groupFlushers--;
                    return;
                }
            }

            await WriteGroupAsync(batch).ConfigureAwait(false);
        }
    }

    /// <summary>The next batch: queued requests up to the row limit, at most one per idempotency key. Under <see cref="_groupGate"/>.</summary>
    private List<PreparedAppend> TakeGroup()
    {
        var batch = new List<PreparedAppend>();
        HashSet<(string, string)>? keys = null;
        var rows = 0;
        for (var remaining = _groupQueue.Count; remaining > 0; remaining--)
        {
            var next = _groupQueue.Peek();
            if (batch.Count > 0 && rows + next.UserIds.Length > _options.GroupCommitMaxRows)
            {
                break;
            }

            _groupQueue.Dequeue();

            // Two requests with one key in one statement would both pass the NOT EXISTS check and collide on the
            // unique index. The later one waits for the next batch, where it finds the first one's rows.
            if (next.Request.IdempotencyKey is { } key && keys?.Contains((next.Request.Caller, key)) == true)
            {
                _groupQueue.Enqueue(next);
                continue;
            }

            if (!next.TryTake())
            {
                continue; // the caller gave up while it waited
            }

            if (next.Request.IdempotencyKey is { } takenKey)
            {
                (keys ??= []).Add((next.Request.Caller, takenKey));
            }

            batch.Add(next);
            rows += next.UserIds.Length;
        }

        return batch;
    }

    private async Task WriteGroupAsync(List<PreparedAppend> batch)
    {
        if (batch.Count == 1)
        {
            await CompleteAloneAsync(batch[0]).ConfigureAwait(false);
            return;
        }

        List<GroupAppendedRow> rows;
        var sent = false;
        try
        {
            var parameters = GroupParameters(batch);

            // Not any caller's token: the batch is everyone's, and once sent it commits or fails as a whole.
            rows = await RunAsync(
                async (connection, ct) =>
                {
                    sent = true;
                    await using var command = GroupAppendStatement.CreateCommand(connection);
                    parameters.AddTo(command.Parameters);
                    return await ReadAppendedRowsAsync(command, static r => new GroupAppendedRow { UserId = r.GetString(0), Seq = r.GetInt64(1), Id = r.GetGuid(2), Request = r.GetInt64(3) }, ct);
                },
                OnLostConnection.Fail,
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (StoreUnavailableException exception) when (sent && exception.InnerException is { } cause && PostgresErrors.IsConnectionLost(cause))
        {
            // The connection died while the batch's COMMIT was under way (RunAsync already wrote it again on a new
            // connection when it died before the COMMIT was sent), or on the retry too: whether it committed is unknown.
            // A request with an idempotency key finds out safely on its own, as a lone append does: it stores, or
            // answers from its key. One without a key fails as it would alone.
            foreach (var append in batch)
            {
                if (append.Request.IdempotencyKey is null)
                {
                    append.Completion.TrySetException(exception);
                }
                else
                {
                    await CompleteAloneAsync(append).ConfigureAwait(false);
                }
            }

            return;
        }
        catch (StoreUnavailableException exception)
        {
            foreach (var append in batch)
            {
                append.Completion.TrySetException(exception);
            }

            return;
        }
        catch (Exception)
        {
            // Nothing of the batch was written (one statement, one transaction). A concurrent request with one of
            // the keys won the race, or one request is unacceptable to the database: each request alone gets its
            // own answer, so one request's failure is not the others'.
            foreach (var append in batch)
            {
                await CompleteAloneAsync(append).ConfigureAwait(false);
            }

            return;
        }

        if (rows.Count > 0)
        {
            _metrics?.Committed(rows.Count);
        }

        var byRequest = new List<GroupAppendedRow>?[batch.Count];
        foreach (var row in rows)
        {
            (byRequest[row.Request - 1] ??= []).Add(row);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (byRequest[i] is { } written)
            {
                batch[i].Completion.TrySetResult(GroupResult(batch[i], written));
            }
            else
            {
                // Its key was used before: the key's result answers, as for a lone retry.
                await CompleteAloneAsync(batch[i]).ConfigureAwait(false);
            }
        }
    }

    private async Task CompleteAloneAsync(PreparedAppend append)
    {
        try
        {
            append.Completion.TrySetResult(await AppendAloneAsync(append, CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception exception)
        {
            append.Completion.TrySetException(exception);
        }
    }

    /// <summary>The group append statement with positional parameters, in the order of <see cref="GroupValues.AddTo"/>.</summary>
    private static readonly PositionalStatement GroupAppendStatement = new(
        PostgresSql.GroupAppend,
        "Types", "Payloads", "CreatedAts", "ExpiresAts", "Callers", "IdempotencyKeys", "RequestHashes", "SharesPayloads", "UserIds", "Ids", "RowRequests");

    private static GroupValues GroupParameters(List<PreparedAppend> batch)
    {
        var rowCount = 0;
        foreach (var append in batch)
        {
            rowCount += append.UserIds.Length;
        }

        var types = new string[batch.Count];
        var payloads = new string[batch.Count];
        var createdAts = new DateTimeOffset[batch.Count];
        var expiresAts = new DateTimeOffset[batch.Count];
        var callers = new string[batch.Count];
        var keys = new string?[batch.Count];
        var hashes = new string[batch.Count];
        var sharesPayloads = new bool[batch.Count];
        var userIds = new string[rowCount];
        var ids = new Guid[rowCount];
        var rowRequests = new long[rowCount];
        var row = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var append = batch[i];
            types[i] = append.Request.Type;
            payloads[i] = append.Request.PayloadJson;
            createdAts[i] = append.CreatedAt;
            expiresAts[i] = append.ExpiresAt;
            callers[i] = append.Request.Caller;
            keys[i] = append.Request.IdempotencyKey;
            hashes[i] = append.Request.RequestHash;
            sharesPayloads[i] = append.SharesPayload;
            append.UserIds.CopyTo(userIds, row);
            append.Ids.CopyTo(ids, row);
            rowRequests.AsSpan(row, append.UserIds.Length).Fill(i + 1);
            row += append.UserIds.Length;
        }

        return new GroupValues(types, payloads, createdAts, expiresAts, callers, keys, hashes, sharesPayloads, userIds, ids, rowRequests);
    }

    /// <summary>The arrays of a group append, one element per request or per row; a retry adds them to its new command again.</summary>
    private sealed record GroupValues(
        string[] Types,
        string[] Payloads,
        DateTimeOffset[] CreatedAts,
        DateTimeOffset[] ExpiresAts,
        string[] Callers,
        string?[] IdempotencyKeys,
        string[] RequestHashes,
        bool[] SharesPayloads,
        string[] UserIds,
        Guid[] Ids,
        long[] RowRequests)
    {
        public void AddTo(NpgsqlParameterCollection parameters)
        {
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Types });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Payloads });
            parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = CreatedAts });
            parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = ExpiresAts });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Callers });
            parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = IdempotencyKeys });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = RequestHashes });
            parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = SharesPayloads });
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = UserIds });
            parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = Ids });
            parameters.Add(new NpgsqlParameter<long[]> { TypedValue = RowRequests });
        }
    }

    /// <summary>A request's rows of a group statement, in the order of its recipients (at most GroupCommitMaxRequestRows).</summary>
    private static AppendResult GroupResult(PreparedAppend append, List<GroupAppendedRow> rows)
    {
        var notifications = new StoredNotification[rows.Count];
        foreach (var row in rows)
        {
            notifications[Array.IndexOf(append.Ids, row.Id)] = Stored(append, row);
        }

        return new AppendResult(notifications, IsReplay: false);
    }

    private sealed class GroupAppendedRow : AppendedRow
    {
        public long Request { get; set; }
    }
}
