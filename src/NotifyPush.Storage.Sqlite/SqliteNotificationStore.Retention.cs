using System.Diagnostics;
using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore
{
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
            connection.Execute(new CommandDefinition(SqliteSql.Acknowledge, acks, transaction, cancellationToken: ct)), cancellationToken);
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
        var (deleted, payloadsDeleted) = await RunWrite("remove expired and delivered notifications", (connection, transaction, ct) =>
        {
            var rows = connection.Query<DeletedNotification>(new CommandDefinition(
                SqliteSql.DeleteDue,
                new { Now = now.UtcTicks, DeliveredBefore = now.UtcTicks - deliveredRetention.Ticks, BatchSize = batchSize },
                transaction,
                cancellationToken: ct)).AsList();

            var prunedUpTo = rows
                .GroupBy(row => row.UserId, StringComparer.Ordinal)
                .Select(stream => new DeletedNotification { UserId = stream.Key, Seq = stream.Max(row => row.Seq) });
            connection.Execute(new CommandDefinition(SqliteSql.RaisePrunedSeq, prunedUpTo, transaction, cancellationToken: ct));
            var payloads = connection.Execute(new CommandDefinition(
                SqliteSql.DeletePayloads, new { Now = now.UtcTicks, BatchSize = batchSize }, transaction, cancellationToken: ct));
            return (Rows: rows.Count, Payloads: payloads);
        }, cancellationToken).ConfigureAwait(false);

        if (deleted > 0)
        {
            Log.CleanupPass(_logger, deleted, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return new CleanupResult(deleted, HasMore: deleted == batchSize || payloadsDeleted == batchSize);
    }

    /// <inheritdoc />
    public async Task<CleanupResult> CleanupIdempotencyKeysAsync(DateTimeOffset now, TimeSpan window, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        var createdBefore = window.Ticks >= now.UtcTicks ? 0 : now.UtcTicks - window.Ticks;
        var deleted = await RunWrite("forget old idempotency keys", (connection, transaction, ct) =>
            connection.Execute(new CommandDefinition(
                SqliteSql.DeleteIdempotencyKeys,
                new { CreatedBefore = createdBefore, BatchSize = batchSize },
                transaction,
                cancellationToken: ct)), cancellationToken).ConfigureAwait(false);

        if (deleted > 0)
        {
            Log.IdempotencyKeysForgotten(_logger, deleted);
        }

        return new CleanupResult(deleted, HasMore: deleted == batchSize);
    }
}
