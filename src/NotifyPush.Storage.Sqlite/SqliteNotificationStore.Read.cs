using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore
{
    // Served by the primary key (user_id, seq): a range scan of one user's stream.
    private const string ReadSql = """
        SELECT user_id AS UserId, seq AS Seq, id AS Id, type AS Type, payload AS Payload,
               created_at AS CreatedAt, expires_at AS ExpiresAt
        FROM notifications
        WHERE user_id = @UserId AND seq > @AfterSeq AND expires_at > @Now
        ORDER BY seq
        LIMIT @Limit
        """;

    private const string StreamStateSql = """
        SELECT last_seq AS LastSeq, acked_seq AS AckedSeq, pruned_seq AS PrunedSeq
        FROM user_streams
        WHERE user_id = @UserId
        """;

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredNotification>> ReadAsync(string userId, long afterSeq, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
        {
            return Task.FromResult<IReadOnlyList<StoredNotification>>([]);
        }

        return RunRead<IReadOnlyList<StoredNotification>>("read notifications", (connection, ct) =>
        {
            var rows = connection.Query<NotificationRow>(new CommandDefinition(
                ReadSql,
                new { UserId = userId, AfterSeq = afterSeq, Now = now.UtcTicks, Limit = limit },
                cancellationToken: ct));
            return rows.Select(row => row.ToNotification()).ToArray();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<UserStreamState> GetStreamStateAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);

        // No row is an unknown user: QuerySingleOrDefault yields default, which is UserStreamState.Empty.
        return RunRead("read a stream's state", (connection, ct) =>
            connection.QuerySingleOrDefault<UserStreamState>(new CommandDefinition(
                StreamStateSql,
                new { UserId = userId },
                cancellationToken: ct)), cancellationToken);
    }
}
