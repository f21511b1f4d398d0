using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore : ITokenRevocationStore
{
    // GREATEST keeps the instant from going back: two revocations in any order leave the later one.
    private const string RevokeTokensSql = """
        INSERT INTO user_revocations AS r (user_id, revoked_before)
        VALUES (@UserId, @IssuedBefore)
        ON CONFLICT (user_id) DO UPDATE SET revoked_before = GREATEST(r.revoked_before, EXCLUDED.revoked_before)
        RETURNING r.revoked_before
        """;

    private const string ManyTokensRevokedBeforeSql = """
        SELECT user_id AS UserId, revoked_before AS RevokedBefore
        FROM user_revocations
        WHERE user_id = ANY(@UserIds)
        """;

    private const string TokensRevokedBeforeSql = """
        SELECT revoked_before
        FROM user_revocations
        WHERE user_id = @UserId
        """;

    /// <inheritdoc />
    public Task<DateTimeOffset> RevokeTokensAsync(string userId, DateTimeOffset issuedBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return RunAsync(
            async (connection, ct) => new DateTimeOffset(DateTime.SpecifyKind(
                await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition(
                    RevokeTokensSql,
                    new { UserId = userId, IssuedBefore = issuedBefore.UtcDateTime },
                    cancellationToken: ct)),
                DateTimeKind.Utc)),
            // Raising to the same instant twice is the same as once.
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<DateTimeOffset?> GetTokensRevokedBeforeAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return RunAsync(
            async (connection, ct) =>
            {
                var instant = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
                    TokensRevokedBeforeSql,
                    new { UserId = userId },
                    cancellationToken: ct));
                return instant is { } value ? new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)) : (DateTimeOffset?)null;
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> GetTokensRevokedBeforeAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        if (userIds.Count == 0)
        {
            return new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        }

        var parameters = new { UserIds = userIds as string[] ?? [.. userIds] };
        return await RunAsync(
            async (connection, ct) =>
            {
                var rows = await connection.QueryAsync<RevocationRow>(new CommandDefinition(ManyTokensRevokedBeforeSql, parameters, cancellationToken: ct));
                return (IReadOnlyDictionary<string, DateTimeOffset>)rows.ToDictionary(
                    static row => row.UserId, static row => ToUtcOffset(row.RevokedBefore), StringComparer.Ordinal);
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }
}
