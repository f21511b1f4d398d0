using System.Collections.Concurrent;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>Token revocations in memory, for the authentication unit tests that run without a store.</summary>
public sealed class InMemoryTokenRevocationStore : ITokenRevocationStore
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);

    public Task<DateTimeOffset> RevokeTokensAsync(string userId, DateTimeOffset issuedBefore, CancellationToken cancellationToken) =>
        Task.FromResult(_revoked.AddOrUpdate(userId, issuedBefore, (_, old) => old > issuedBefore ? old : issuedBefore));

    public Task<DateTimeOffset?> GetTokensRevokedBeforeAsync(string userId, CancellationToken cancellationToken) =>
        Task.FromResult(_revoked.TryGetValue(userId, out var instant) ? instant : (DateTimeOffset?)null);
}
