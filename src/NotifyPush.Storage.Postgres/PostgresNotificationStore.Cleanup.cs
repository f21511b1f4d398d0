using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    // Advisory lock class of this store's locks (the two-int form: class, hash of the schema name), so replicas
    // of one deployment share a lock and tests in separate schemas do not.
    internal const int CleanupLockClass = 0x4E50_0002;

    /// <inheritdoc />
    /// <remarks>
    /// One replica at a time: the pass runs under a transaction-scoped advisory lock and returns
    /// <c>(0, HasMore: false)</c> at once when another replica holds it.
    /// </remarks>
    public Task<CleanupResult> CleanupAsync(DateTimeOffset now, TimeSpan deliveredRetention, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(deliveredRetention, TimeSpan.Zero);

        var utcNow = now.ToUniversalTime();
        var ackedBefore = deliveredRetention >= utcNow - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : utcNow - deliveredRetention;
        var parameters = new { Now = utcNow, AckedBefore = ackedBefore, BatchSize = batchSize };

        return RunAsync(
            async (connection, ct) =>
            {
                await using var transaction = await connection.BeginTransactionAsync(ct);
                var locked = await connection.ExecuteScalarAsync<bool>(
                    new CommandDefinition(PostgresSql.TryCleanupLock, new { LockClass = CleanupLockClass }, transaction, cancellationToken: ct));
                if (!locked)
                {
                    LogCleanupSkipped(_logger);
                    return new CleanupResult(0, HasMore: false);
                }

                var deleted = await connection.ExecuteScalarAsync<int>(new CommandDefinition(PostgresSql.Cleanup, parameters, transaction, cancellationToken: ct));
                var payloads = await connection.ExecuteAsync(new CommandDefinition(PostgresSql.CleanupPayloads, parameters, transaction, cancellationToken: ct));
                await transaction.CommitAsync(ct);
                LogCleanupPass(_logger, deleted, batchSize);
                return new CleanupResult(deleted, HasMore: deleted >= batchSize || payloads >= batchSize);
            },
            OnLostConnection.RetryOnce, // a pass repeated deletes what is due then, as the next pass would
            cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Replicas may run this at the same time: each skips keys another one is deleting.</remarks>
    public Task<CleanupResult> CleanupIdempotencyKeysAsync(DateTimeOffset now, TimeSpan window, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);

        var utcNow = now.ToUniversalTime();
        var createdBefore = window >= utcNow - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : utcNow - window;
        var parameters = new { CreatedBefore = createdBefore, BatchSize = batchSize };
        return RunAsync(
            async (connection, ct) =>
            {
                var deleted = await connection.ExecuteAsync(new CommandDefinition(PostgresSql.CleanupIdempotencyKeys, parameters, cancellationToken: ct));
                LogIdempotencyKeysForgotten(_logger, deleted, batchSize);
                return new CleanupResult(deleted, HasMore: deleted >= batchSize);
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }
}
