using System.Buffers;
using System.Text;
using System.Text.Json;
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
    public Task<IReadOnlyDictionary<string, long>> GetStreamHeadsAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        if (userIds.Count == 0)
        {
            return Task.FromResult<IReadOnlyDictionary<string, long>>(new Dictionary<string, long>(StringComparer.Ordinal));
        }

        var ids = ToJsonArray(userIds);
        return RunRead<IReadOnlyDictionary<string, long>>("read stream heads", (connection, ct) =>
            connection.Query<(string UserId, long LastSeq)>(new CommandDefinition(
                SqliteSql.StreamHeads,
                new { UserIds = ids },
                cancellationToken: ct)).ToDictionary(static row => row.UserId, static row => row.LastSeq, StringComparer.Ordinal), cancellationToken);
    }

    /// <summary>The ids as a JSON array of strings, for <c>json_each</c>.</summary>
    private static string ToJsonArray(IReadOnlyList<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
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
