using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore : ITokenRevocationStore
{
    // max() keeps the instant from going back: two revocations in any order leave the later one.
    private const string RevokeTokensSql = """
        INSERT INTO user_revocations (user_id, revoked_before)
        VALUES (@UserId, @IssuedBefore)
        ON CONFLICT (user_id) DO UPDATE SET revoked_before = max(revoked_before, excluded.revoked_before)
        RETURNING revoked_before
        """;

    private const string TokensRevokedBeforeSql = """
        SELECT revoked_before
        FROM user_revocations
        WHERE user_id = @UserId
        """;

    /// <inheritdoc />
    public async Task<DateTimeOffset> RevokeTokensAsync(string userId, DateTimeOffset issuedBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var ticks = await RunWrite("revoke a user's tokens", (connection, transaction, ct) =>
            connection.ExecuteScalar<long>(new CommandDefinition(
                RevokeTokensSql,
                new { UserId = userId, IssuedBefore = issuedBefore.UtcTicks },
                transaction,
                cancellationToken: ct)), cancellationToken).ConfigureAwait(false);
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset?> GetTokensRevokedBeforeAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var ticks = await RunRead("read a user's token revocation", (connection, ct) =>
            connection.ExecuteScalar<long?>(new CommandDefinition(
                TokensRevokedBeforeSql,
                new { UserId = userId },
                cancellationToken: ct)), cancellationToken).ConfigureAwait(false);
        return ticks is { } value ? new DateTimeOffset(value, TimeSpan.Zero) : null;
    }
}
