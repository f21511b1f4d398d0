using System.Diagnostics;
using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore
{
    // Never lowers (a late ack of an older seq) and never passes last_seq (an ack from a confused client);
    // the WHERE skips rows that would not change, and unknown users match nothing.
    private const string AcknowledgeSql = """
        UPDATE user_streams
        SET acked_seq = MIN(@Seq, last_seq)
        WHERE user_id = @UserId AND acked_seq < MIN(@Seq, last_seq)
        """;

    // Two index range scans (expiry, age) joined by UNION so a row both expired and delivered counts once.
    // rowid keeps the DELETE a lookup by the table's own key.
    private const string DeleteDueSql = """
        DELETE FROM notifications
        WHERE rowid IN (
            SELECT rowid FROM notifications WHERE expires_at <= @Now
            UNION
            SELECT n.rowid FROM notifications AS n
            JOIN user_streams AS s ON s.user_id = n.user_id
            WHERE n.created_at < @DeliveredBefore AND n.seq <= s.acked_seq
            LIMIT @BatchSize)
        RETURNING user_id AS UserId, seq AS Seq
        """;

    private const string RaisePrunedSeqSql = """
        UPDATE user_streams SET pruned_seq = @Seq WHERE user_id = @UserId AND pruned_seq < @Seq
        """;

    /// <inheritdoc />
    public Task AcknowledgeAsync(IReadOnlyCollection<StreamAck> acks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(acks);
        if (acks.Count == 0)
        {
            return Task.CompletedTask;
        }

        // Dapper runs the statement once per ack on one prepared command, all in one transaction.
        return RunWrite("record acknowledgements", (connection, transaction, ct) =>
            connection.Execute(new CommandDefinition(AcknowledgeSql, acks, transaction, cancellationToken: ct)), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A row counts as expired when <c>expires_at &lt;= now</c>, the complement of what <see cref="ReadAsync"/> returns.
    /// The <c>user_streams</c> rows stay, so a cleaned-up stream continues its numbering.
    /// </remarks>
    public async Task<CleanupResult> CleanupAsync(DateTimeOffset now, TimeSpan deliveredRetention, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(deliveredRetention, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        var started = Stopwatch.GetTimestamp();
        var deleted = await RunWrite("remove expired and delivered notifications", (connection, transaction, ct) =>
        {
            var rows = connection.Query<DeletedNotification>(new CommandDefinition(
                DeleteDueSql,
                new { Now = now.UtcTicks, DeliveredBefore = now.UtcTicks - deliveredRetention.Ticks, BatchSize = batchSize },
                transaction,
                cancellationToken: ct)).AsList();

            var prunedUpTo = rows
                .GroupBy(row => row.UserId, StringComparer.Ordinal)
                .Select(stream => new DeletedNotification { UserId = stream.Key, Seq = stream.Max(row => row.Seq) });
            connection.Execute(new CommandDefinition(RaisePrunedSeqSql, prunedUpTo, transaction, cancellationToken: ct));
            return rows.Count;
        }, cancellationToken).ConfigureAwait(false);

        if (deleted > 0)
        {
            Log.CleanupPass(_logger, deleted, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new CleanupResult(deleted, HasMore: deleted == batchSize);
    }
}
