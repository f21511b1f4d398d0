using Dapper;
using Microsoft.Data.Sqlite;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore
{
    /// <inheritdoc />
    /// <remarks>
    /// An idempotency key is remembered as long as a notification stored under it is: once retention has removed
    /// all of them, the key may be used again; when it removed some, a replay returns those that remain.
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

        return result;
    }

    /// <summary>The earlier result for the request's idempotency key, or null when the key is new (or there is none).</summary>
    /// <remarks>Runs inside the write transaction, so no other append can store the same key between the check and the insert.</remarks>
    private AppendResult? FindReplay(SqliteConnection connection, SqliteTransaction transaction, AppendRequest request, CancellationToken cancellationToken)
    {
        if (request.IdempotencyKey is null)
        {
            return null;
        }

        var rows = connection.Query<NotificationRow>(new CommandDefinition(
            SqliteSql.SelectByIdempotencyKey,
            new { request.Caller, request.IdempotencyKey },
            transaction,
            cancellationToken: cancellationToken)).AsList();
        if (rows.Count == 0)
        {
            return null;
        }

        if (rows.Exists(row => !string.Equals(row.RequestHash, request.RequestHash, StringComparison.Ordinal)))
        {
            Log.IdempotencyConflict(_logger, request.Caller);
            throw new IdempotencyConflictException(request.Caller, request.IdempotencyKey);
        }

        var position = new Dictionary<string, int>(request.UserIds.Count, StringComparer.Ordinal);
        for (var i = 0; i < request.UserIds.Count; i++)
        {
            position[request.UserIds[i]] = i;
        }

        var notifications = rows
            .OrderBy(row => position.GetValueOrDefault(row.UserId, int.MaxValue))
            .ThenBy(row => row.Seq)
            .Select(row => row.ToNotification())
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

        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = SqliteSql.InsertNotification;
        var insertUser = insert.Parameters.Add("@user_id", SqliteType.Text);
        var insertSeq = insert.Parameters.Add("@seq", SqliteType.Integer);
        var insertId = insert.Parameters.Add("@id", SqliteType.Text);
        insert.Parameters.Add("@type", SqliteType.Text).Value = request.Type;
        insert.Parameters.Add("@payload", SqliteType.Text).Value = request.PayloadJson;
        insert.Parameters.Add("@created_at", SqliteType.Integer).Value = createdAt.UtcTicks;
        insert.Parameters.Add("@expires_at", SqliteType.Integer).Value = expiresAt.UtcTicks;
        insert.Parameters.Add("@caller", SqliteType.Text).Value = request.Caller;
        insert.Parameters.Add("@idempotency_key", SqliteType.Text).Value = (object?)request.IdempotencyKey ?? DBNull.Value;
        insert.Parameters.Add("@request_hash", SqliteType.Text).Value = request.RequestHash;
        insert.Prepare();

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
            stored[i] = new StoredNotification(userId, seq, id, request.Type, request.PayloadJson, createdAt, expiresAt);
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

        // Duplicates would get two seqs without a key and break the key's uniqueness with one: refuse them up front.
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
