using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    // Advisory lock class of this store's locks (the two-int form: class, hash of the schema name), so replicas
    // of one deployment share a lock and tests in separate schemas do not.
    internal const int CleanupLockClass = 0x4E50_0002;

    // Transaction-scoped: released by the commit or by the connection dying, never left behind.
    private const string TryCleanupLockSql = "SELECT pg_try_advisory_xact_lock(@LockClass, hashtext(coalesce(current_schema(), '')))";

    // doomed: up to one batch of rows that expired, or were acknowledged and are older than the history window.
    // pruned_seq is raised per affected user to the highest seq removed, so a resume point below it is known to
    // be incomplete. The stream rows are locked in user_id order (as appends and acks do) before the update.
    private const string CleanupSql = """
        WITH doomed AS (
            SELECT n.user_id, n.seq
            FROM notifications AS n
            JOIN user_streams AS s ON s.user_id = n.user_id
            WHERE n.expires_at <= @Now
               OR (n.seq <= s.acked_seq AND n.created_at <= @AckedBefore)
            LIMIT @BatchSize
        ),
        deleted AS (
            DELETE FROM notifications AS n
            USING doomed AS d
            WHERE n.user_id = d.user_id AND n.seq = d.seq
            RETURNING n.user_id, n.seq
        ),
        locked AS (
            SELECT s.user_id, p.seq
            FROM user_streams AS s
            JOIN (SELECT user_id, max(seq) AS seq FROM deleted GROUP BY user_id) AS p ON p.user_id = s.user_id
            ORDER BY s.user_id
            FOR NO KEY UPDATE OF s
        ),
        raised AS (
            UPDATE user_streams AS s
            SET pruned_seq = greatest(s.pruned_seq, l.seq)
            FROM locked AS l
            WHERE s.user_id = l.user_id
        )
        SELECT count(*)::int FROM deleted
        """;

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
                    new CommandDefinition(TryCleanupLockSql, new { LockClass = CleanupLockClass }, transaction, cancellationToken: ct));
                if (!locked)
                {
                    LogCleanupSkipped(_logger);
                    return new CleanupResult(0, HasMore: false);
                }

                var deleted = await connection.ExecuteScalarAsync<int>(new CommandDefinition(CleanupSql, parameters, transaction, cancellationToken: ct));
                await transaction.CommitAsync(ct);
                LogCleanupPass(_logger, deleted, batchSize);
                return new CleanupResult(deleted, HasMore: deleted >= batchSize);
            },
            cancellationToken);
    }
}
