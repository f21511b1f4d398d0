using Dapper;
using Microsoft.Data.Sqlite;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore
{
    /// <inheritdoc />
    /// <remarks>
    /// An idempotency key is remembered in its own table, with the result, until
    /// <see cref="CleanupIdempotencyKeysAsync"/> forgets it; removing the notifications does not.
    /// </remarks>
    public async Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        Validate(request);
        var result = await RunWrite("append notifications", (connection, transaction, ct) =>
            FindReplay(connection, transaction, request, ct) ?? Insert(connection, transaction, request, ct),
            cancellationToken).ConfigureAwait(false);

        if (result.IsReplay)
        {
            Log.IdempotentReplay(_logger, request.Caller, result.Notifications.Count);
        }
        else
        {
            // One transaction per send: SQLite has a single writer, so there is no group commit to size.
            _metrics?.Committed(result.Notifications.Count);
        }

        return result;
    }

    /// <summary>The earlier result for the request's idempotency key, or null when the key is new (or there is none).</summary>
    /// <remarks>
    /// Runs inside the write transaction, so no other append can store the same key between the check and the insert.
    /// The key row holds ids, seqs and times; type and payload are the request's own, the same as the original's since
    /// the hashes match.
    /// </remarks>
    private AppendResult? FindReplay(SqliteConnection connection, SqliteTransaction transaction, AppendRequest request, CancellationToken cancellationToken)
    {
        if (request.IdempotencyKey is null)
        {
            return null;
        }

        var key = connection.QuerySingleOrDefault<IdempotencyKeyRow>(new CommandDefinition(
            SqliteSql.SelectIdempotencyKey,
            new { request.Caller, request.IdempotencyKey },
            transaction,
            cancellationToken: cancellationToken));
        if (key is null)
        {
            return null;
        }

        if (!string.Equals(key.RequestHash, request.RequestHash, StringComparison.Ordinal))
        {
            Log.IdempotencyConflict(_logger, request.Caller);
            throw new IdempotencyConflictException(request.Caller, request.IdempotencyKey);
        }

        var position = new Dictionary<string, int>(request.UserIds.Count, StringComparer.Ordinal);
        for (var i = 0; i < request.UserIds.Count; i++)
        {
            position[request.UserIds[i]] = i;
        }

        var createdAt = new DateTimeOffset(key.CreatedAt, TimeSpan.Zero);
        var expiresAt = new DateTimeOffset(key.ExpiresAt, TimeSpan.Zero);
        var notifications = IdempotencyResult.Parse(key.Notifications)
            .Select((entry, index) => (entry, index))
            .OrderBy(item => position.GetValueOrDefault(item.entry.UserId, int.MaxValue))
            .ThenBy(item => item.index)
            .Select(item => new StoredNotification(item.entry.UserId, item.entry.Seq, item.entry.Id, request.Type, request.PayloadJson, createdAt, expiresAt))
            .ToArray();
        return new AppendResult(notifications, IsReplay: true);
    }

    /// <summary>Stores one notification per user with two prepared statements reused for every user of a fan-out.</summary>
    private static AppendResult Insert(SqliteConnection connection, SqliteTransaction transaction, AppendRequest request, CancellationToken cancellationToken)
    {
        var createdAt = request.CreatedAt.ToUniversalTime();
        var expiresAt = request.ExpiresAt.ToUniversalTime();

        using var nextSeq = connection.CreateCommand();
        nextSeq.Transaction = transaction;
        nextSeq.CommandText = SqliteSql.NextSeq;
        var nextSeqUser = nextSeq.Parameters.Add("@user_id", SqliteType.Text);
        nextSeq.Prepare();

        // A send to several users stores its payload once and each recipient's row points at it; a send to one user
        // keeps the payload in its row (a payload row of its own would be a second row for nothing).
        long? payloadId = request.UserIds.Count > 1
            ? connection.ExecuteScalar<long>(new CommandDefinition(
                SqliteSql.InsertPayload,
                new { Payload = request.PayloadJson, CreatedAt = createdAt.UtcTicks, ExpiresAt = expiresAt.UtcTicks },
                transaction,
                cancellationToken: cancellationToken))
            : null;

        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = SqliteSql.InsertNotification;
        var insertUser = insert.Parameters.Add("@user_id", SqliteType.Text);
        var insertSeq = insert.Parameters.Add("@seq", SqliteType.Integer);
        var insertId = insert.Parameters.Add("@id", SqliteType.Text);
        insert.Parameters.Add("@type", SqliteType.Text).Value = request.Type;
        insert.Parameters.Add("@payload", SqliteType.Text).Value = payloadId is null ? request.PayloadJson : string.Empty;
        insert.Parameters.Add("@payload_id", SqliteType.Integer).Value = payloadId is { } shared ? shared : DBNull.Value;
        insert.Parameters.Add("@created_at", SqliteType.Integer).Value = createdAt.UtcTicks;
        insert.Parameters.Add("@expires_at", SqliteType.Integer).Value = expiresAt.UtcTicks;
        insert.Prepare();

        // A send with webPush queues one push job per recipient in this same transaction (the store is the queue).
        using var pushJob = request.WebPush is { } push ? PreparePushJob(connection, transaction, request, push) : null;

        var stored = new StoredNotification[request.UserIds.Count];
        for (var i = 0; i < stored.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var userId = request.UserIds[i];
            nextSeqUser.Value = userId;
            var seq = (long)nextSeq.ExecuteScalar()!;

            // Version 7: time-ordered by insertion, so ids index well. Not from CreatedAt, which may predate 1970.
            var id = Guid.CreateVersion7();
            insertUser.Value = userId;
            insertSeq.Value = seq;
            insertId.Value = id.ToString("D");
            insert.ExecuteNonQuery();
            if (pushJob is not null)
            {
                pushJob.Parameters["@user_id"].Value = userId;
                pushJob.Parameters["@seq"].Value = seq;
                pushJob.Parameters["@notification_id"].Value = insertId.Value;
                pushJob.ExecuteNonQuery();
            }

            stored[i] = new StoredNotification(userId, seq, id, request.Type, request.PayloadJson, createdAt, expiresAt);
        }

        if (request.IdempotencyKey is not null)
        {
            connection.Execute(new CommandDefinition(
                SqliteSql.InsertIdempotencyKey,
                new
                {
                    request.Caller,
                    request.IdempotencyKey,
                    request.RequestHash,
                    CreatedAt = createdAt.UtcTicks,
                    ExpiresAt = expiresAt.UtcTicks,
                    Notifications = IdempotencyResult.Format(stored),
                },
                transaction,
                cancellationToken: cancellationToken));
        }

        return new AppendResult(stored, IsReplay: false);
    }

    private static void Validate(AppendRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Caller) || request.RequestHash is null || request.Type is null || request.PayloadJson is null)
        {
            throw new ArgumentException("Caller, request hash, type and payload are required.", nameof(request));
        }

        if (request.UserIds is not { Count: > 0 })
        {
            throw new ArgumentException("An append needs at least one user id.", nameof(request));
        }

        // A user named twice would get two notifications of one send: refuse it up front.
        var seen = new HashSet<string>(request.UserIds.Count, StringComparer.Ordinal);
        foreach (var userId in request.UserIds)
        {
            if (string.IsNullOrEmpty(userId))
            {
                throw new ArgumentException("User ids must not be empty.", nameof(request));
            }

            if (!seen.Add(userId))
            {
                throw new ArgumentException($"User id '{userId}' appears more than once; an append stores one notification per user.", nameof(request));
            }
        }
    }
}
