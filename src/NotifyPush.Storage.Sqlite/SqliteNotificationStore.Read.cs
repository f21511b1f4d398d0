using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore
{
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
                SqliteSql.Read,
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
                SqliteSql.StreamState,
                new { UserId = userId },
                cancellationToken: ct)), cancellationToken);
    }
}
