namespace NotifyPush.Core.Storage;

/// <summary>
/// Per-user token revocation kept in the store: every user token issued before a user's "revoked before" instant is
/// refused. Implemented by each store next to <see cref="INotificationStore"/> and held to the store specification suite.
/// </summary>
/// <remarks>Transient failures surface as <see cref="StoreUnavailableException"/>, as for the notification store.</remarks>
public interface ITokenRevocationStore
{
    /// <summary>
    /// Revokes every token of the user issued before <paramref name="issuedBefore"/>: raises the user's instant to it,
    /// never lowers it. Returns the instant now in force (the later of the old one and <paramref name="issuedBefore"/>).
    /// Safe to repeat.
    /// </summary>
    Task<DateTimeOffset> RevokeTokensAsync(string userId, DateTimeOffset issuedBefore, CancellationToken cancellationToken);

    /// <summary>The user's "revoked before" instant, or null when the user's tokens were never revoked.</summary>
    Task<DateTimeOffset?> GetTokensRevokedBeforeAsync(string userId, CancellationToken cancellationToken);

    /// <summary>
    /// The "revoked before" instant of each given user that has one, in one query where the store can (users whose
    /// tokens were never revoked are left out). Handshakes in flight at once share one such read; the caller bounds
    /// the batch. By default one <see cref="GetTokensRevokedBeforeAsync(string, CancellationToken)"/> per user.
    /// </summary>
    async Task<IReadOnlyDictionary<string, DateTimeOffset>> GetTokensRevokedBeforeAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var instants = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var userId in userIds)
        {
            if (await GetTokensRevokedBeforeAsync(userId, cancellationToken).ConfigureAwait(false) is { } instant)
            {
                instants[userId] = instant;
            }
        }

        return instants;
    }
}
