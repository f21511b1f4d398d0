using Microsoft.Extensions.Time.Testing;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Tests.Storage;

public sealed class TokenRevocationsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();
    private readonly CountingRevocationStore _store = new();

    private TokenRevocations Create(int cacheSeconds = 10, int maxUsers = 100) =>
        new(_store, Microsoft.Extensions.Options.Options.Create(new TokenRevocationOptions { RevocationCacheSeconds = cacheSeconds, RevocationCacheMaxUsers = maxUsers }), _time);

    [Fact]
    public async Task Lookup_OfAUserNeverRevoked_IsCachedForTheCacheLifetime_ThenReadAgain()
    {
        var revocations = Create(cacheSeconds: 10);

        Assert.Null(await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout));
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Null(await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(1, _store.Reads);

        _time.Advance(TimeSpan.FromSeconds(1));
        await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(2, _store.Reads);
    }

    [Fact]
    public async Task Revoke_AppliesOnThisReplicaAtOnce_OverACachedAbsence()
    {
        var revocations = Create();
        Assert.Null(await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout));

        var inForce = await revocations.RevokeAsync("u", CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(_time.GetUtcNow(), inForce);
        Assert.Equal(inForce, await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(1, _store.Reads);
    }

    [Fact]
    public async Task Forget_DropsTheCachedState_SoTheNextLookupReadsARevocationMadeElsewhere()
    {
        var revocations = Create();
        Assert.Null(await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout));
        // Another replica revokes: the store has it, this replica's cache does not.
        var elsewhere = await _store.RevokeTokensAsync("u", _time.GetUtcNow(), CancellationToken.None).WaitAsync(Timeout);

        revocations.Forget("u");

        Assert.Equal(elsewhere, await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task ALookupThatReadBeforeAForget_DoesNotCacheItsOlderAnswer()
    {
        var revocations = Create();
        var release = _store.HoldNextRead();
        var lookup = revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask();
        await _store.ReadStarted.Task.WaitAsync(Timeout);

        // The sign-out with a revocation arrives while the read (which saw none) is still out.
        await _store.RevokeTokensAsync("u", _time.GetUtcNow(), CancellationToken.None).WaitAsync(Timeout);
        revocations.Forget("u");
        release.SetResult();

        Assert.Null(await lookup.WaitAsync(Timeout));
        Assert.Equal(0, revocations.CachedUsers);
        Assert.NotNull(await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task AFullCache_OfFreshEntries_CachesNoMoreUsers_AndMakesRoomOnceTheyAreStale()
    {
        var revocations = Create(cacheSeconds: 10, maxUsers: 1);
        await revocations.GetRevokedBeforeAsync("a", CancellationToken.None).AsTask().WaitAsync(Timeout);
        await revocations.GetRevokedBeforeAsync("b", CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(1, revocations.CachedUsers);

        await revocations.GetRevokedBeforeAsync("b", CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(3, _store.Reads);

        _time.Advance(TimeSpan.FromSeconds(10));
        await revocations.GetRevokedBeforeAsync("b", CancellationToken.None).AsTask().WaitAsync(Timeout);
        await revocations.GetRevokedBeforeAsync("b", CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(4, _store.Reads);
        Assert.Equal(1, revocations.CachedUsers);
    }

    [Fact]
    public async Task ACacheLifetimeOfZero_ReadsTheStoreEveryTime()
    {
        var revocations = Create(cacheSeconds: 0);

        await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout);
        await revocations.GetRevokedBeforeAsync("u", CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.Equal(2, _store.Reads);
        Assert.Equal(0, revocations.CachedUsers);
    }
}
