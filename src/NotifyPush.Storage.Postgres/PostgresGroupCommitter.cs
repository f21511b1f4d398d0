using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

/// <summary>
/// Group commit: small appends that arrive while earlier ones are being written wait in a queue and are written
/// together, one statement and one transaction for many requests; each caller still gets its own result and its own
/// errors.
/// </summary>
/// <remarks>
/// The store decides which appends come here and owns the connections: it hands the committer its write with the
/// retry rules of every store call (<see cref="BatchWriter"/>) and its write of one request alone, which answers
/// whatever a batch cannot. Once the store is disposed both refuse, so appends still queued then fail with
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
internal sealed class PostgresGroupCommitter
{
    private readonly Lock _gate = new();
    private readonly Queue<PreparedAppend> _queue = new();
    private readonly PostgresStoreOptions _options;
    private readonly BatchWriter _writeBatch;
    private readonly Func<PreparedAppend, Task<AppendResult>> _appendAlone;
    private readonly NotifyPushMetrics? _metrics;
    private int _flushers;

    /// <summary>
    /// Runs a batch's statement in a transaction on a pooled connection. A connection lost before the <c>COMMIT</c>
    /// was sent is written again on a new one; a loss during the <c>COMMIT</c> (in doubt) throws
    /// <see cref="StoreUnavailableException"/> with the connection error as its inner exception.
    /// </summary>
    internal delegate Task<List<GroupAppendedRow>> BatchWriter(Func<NpgsqlConnection, CancellationToken, Task<List<GroupAppendedRow>>> work);

    /// <param name="options">The batch limits (<see cref="PostgresStoreOptions.GroupCommitMaxRows"/>) and the flushers in flight.</param>
    /// <param name="writeBatch">The store's write of a batch in one transaction, with its retry rules.</param>
    /// <param name="appendAlone">The store's write of one request in its own transaction, answering from its idempotency key.</param>
    /// <param name="metrics">Counts the notifications each commit stores.</param>
    public PostgresGroupCommitter(PostgresStoreOptions options, BatchWriter writeBatch, Func<PreparedAppend, Task<AppendResult>> appendAlone, NotifyPushMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(writeBatch);
        ArgumentNullException.ThrowIfNull(appendAlone);
        _options = options;
        _writeBatch = writeBatch;
        _appendAlone = appendAlone;
        _metrics = metrics;
    }

    /// <summary>Queues the append for the next batch; the task completes when it is written (or fails).</summary>
    /// <remarks>
    /// A caller that gives up while its append is still queued gets a cancelled task and the append is never written
    /// (<see cref="PreparedAppend.WatchCancellation"/>).
    /// </remarks>
    public Task<AppendResult> EnqueueAsync(PreparedAppend append, CancellationToken cancellationToken)
    {
        append.WatchCancellation(cancellationToken);
        var startFlusher = false;
        lock (_gate)
        {
            _queue.Enqueue(append);
            if (_flushers < Math.Max(1, _options.GroupCommitConcurrency))
            {
                _flushers++;
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
            lock (_gate)
            {
                batch = TakeGroup();
                if (batch.Count == 0)
                {
                    _flushers--;
                    return;
                }
            }

            await WriteGroupAsync(batch).ConfigureAwait(false);
        }
    }

    /// <summary>The next batch: queued requests up to the row limit, at most one per idempotency key. Under <see cref="_gate"/>.</summary>
    private List<PreparedAppend> TakeGroup()
    {
        var batch = new List<PreparedAppend>();
        HashSet<(string, string)>? keys = null;
        var rows = 0;
        for (var remaining = _queue.Count; remaining > 0; remaining--)
        {
            var next = _queue.Peek();
            if (batch.Count > 0 && rows + next.UserIds.Length > _options.GroupCommitMaxRows)
            {
                break;
            }

            _queue.Dequeue();

            // Two requests with one key in one statement would both pass the NOT EXISTS check and collide on the
            // unique index. The later one waits for the next batch, where it finds the first one's rows.
            if (next.Request.IdempotencyKey is { } key && keys?.Contains((next.Request.Caller, key)) == true)
            {
                _queue.Enqueue(next);
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

            // Not any caller's token (the writer takes none): the batch is everyone's, and once sent it commits or fails as a whole.
            rows = await _writeBatch(
                async (connection, ct) =>
                {
                    sent = true;
                    await using var command = GroupAppendStatement.CreateCommand(connection);
                    parameters.AddTo(command.Parameters);
                    return await PostgresNotificationStore.ReadAppendedRowsAsync(command, static r => new GroupAppendedRow { UserId = r.GetString(0), Seq = r.GetInt64(1), Id = r.GetGuid(2), Request = r.GetInt64(3) }, ct);
                }).ConfigureAwait(false);
        }
        catch (StoreUnavailableException exception) when (sent && exception.InnerException is { } cause && PostgresErrors.IsConnectionLost(cause))
        {
            // The connection died while the batch's COMMIT was under way (the writer already wrote it again on a new
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
            append.Completion.TrySetResult(await _appendAlone(append).ConfigureAwait(false));
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
            notifications[Array.IndexOf(append.Ids, row.Id)] = PostgresNotificationStore.Stored(append, row);
        }

        return new AppendResult(notifications, IsReplay: false);
    }

    /// <summary>A row of the group statement: an appended row and the request it belongs to (1-based, in batch order).</summary>
    internal sealed class GroupAppendedRow : PostgresNotificationStore.AppendedRow
    {
        public long Request { get; set; }
    }
}
