using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>A revocation store that is down: every handshake's revocation check gets <see cref="StoreUnavailableException"/>.</summary>
internal sealed class UnavailableRevocationStore : ITokenRevocationStore
{
    public Task<DateTimeOffset> RevokeTokensAsync(string userId, DateTimeOffset issuedBefore, CancellationToken cancellationToken) =>
        throw new StoreUnavailableException("the test store is down");

    public Task<DateTimeOffset?> GetTokensRevokedBeforeAsync(string userId, CancellationToken cancellationToken) =>
        throw new StoreUnavailableException("the test store is down");
}
