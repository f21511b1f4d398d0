using Microsoft.Extensions.Logging.Abstractions;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Tests.Connections;

public sealed class ConnectionRegistryTests
{
    private readonly RecordingBackplane _backplane = new();

    [Fact]
    public async Task Reserve_SubscribesOnTheFirstSocketAndUnsubscribesAfterTheLast()
    {
        var registry = CreateRegistry(maxPerUser: 4);
        var first = await AdmitAsync(registry, "u1", CancellationToken.None);
        var second = await AdmitAsync(registry, "u1", CancellationToken.None);
        Assert.Equal(["sub:u1"], _backplane.Calls);

        await first!.DisposeAsync();
        Assert.Equal(["sub:u1"], _backplane.Calls);
        await second!.DisposeAsync();
        Assert.Equal(["sub:u1", "unsub:u1"], _backplane.Calls);
        Assert.Equal(0, registry.UserCount);
    }

    [Fact]
    public async Task Reserve_BeyondThePerUserLimit_ReturnsNullWithoutAffectingOthers()
    {
        var registry = CreateRegistry(maxPerUser: 2);
        await using var a = await AdmitAsync(registry, "u1", CancellationToken.None);
        await using var b = await AdmitAsync(registry, "u1", CancellationToken.None);
        Assert.Null(await AdmitAsync(registry, "u1", CancellationToken.None));
        await using var other = await AdmitAsync(registry, "u2", CancellationToken.None);
        Assert.NotNull(other);
    }

    [Fact]
    public async Task Reserve_WhenUsersConnectAndLeaveConcurrently_EndsUnsubscribedWithBalancedCalls()
    {
        var registry = CreateRegistry(maxPerUser: 1000);
        var work = Enumerable.Range(0, 64).Select(async i =>
        {
            for (var round = 0; round < 50; round++)
            {
                var slot = await AdmitAsync(registry, "u" + (i % 4), CancellationToken.None);
                await Task.Yield();
                await slot!.DisposeAsync();
            }
        });
        await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, registry.UserCount);
        foreach (var user in new[] { "u0", "u1", "u2", "u3" })
        {
            var calls = _backplane.Calls.Where(c => c.EndsWith(":" + user, StringComparison.Ordinal)).ToList();
            Assert.Equal(calls.Count(c => c.StartsWith("sub:", StringComparison.Ordinal)), calls.Count(c => c.StartsWith("unsub:", StringComparison.Ordinal)));
            Assert.Equal("unsub:" + user, calls[^1]);

            // Subscribe and unsubscribe strictly alternate per user: never two subscribes in a row.
            for (var i = 0; i < calls.Count; i++)
            {
                Assert.StartsWith(i % 2 == 0 ? "sub:" : "unsub:", calls[i]);
            }
        }
    }

    [Fact]
    public async Task Slot_DisposedTwice_ReleasesOnce()
    {
        var registry = CreateRegistry(maxPerUser: 1);
        var slot = await AdmitAsync(registry, "u1", CancellationToken.None);
        await slot!.DisposeAsync();
        await slot.DisposeAsync();
        Assert.Equal(["sub:u1", "unsub:u1"], _backplane.Calls);
        Assert.NotNull(await AdmitAsync(registry, "u1", CancellationToken.None));
    }

    [Fact]
    public async Task Reserve_WhileTheLastSlotsUnsubscribeIsInFlight_EndsSubscribed()
    {
        // A tab reloads: its old socket releases the user's last slot while the new socket reserves one.
        var backplane = new SlowUnsubscribeBackplane();
        var registry = new ConnectionRegistry(backplane, new DrainState(), Microsoft.Extensions.Options.Options.Create(new ConnectionOptions()), NullLogger<ConnectionRegistry>.Instance);
        var first = await AdmitAsync(registry, "u1", CancellationToken.None);
        var releasing = first!.DisposeAsync().AsTask();
        await backplane.UnsubscribeStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var reserving = AdmitAsync(registry, "u1", CancellationToken.None);
        backplane.UnsubscribeMayFinish.SetResult();
        await releasing.WaitAsync(TimeSpan.FromSeconds(10));
        await using var second = await reserving.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(second);
        Assert.True(backplane.IsSubscribed("u1"), "A socket holds a slot, so the replica must still receive its user's messages.");
    }

    [Fact]
    public async Task Admit_WhenManyRaceForTheReplicasLastPlaces_AdmitsExactlyTheCapAndFreesAPlaceOnRelease()
    {
        var registry = CreateRegistry(maxPerUser: 1000, maxSockets: 10);
        var admissions = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(async () => await registry.TryAdmitAsync("u" + (i % 7), CancellationToken.None))));

        Assert.Equal(10, admissions.Count(a => a.Slot is not null));
        Assert.All(admissions.Where(a => a.Slot is null), a => Assert.Equal(AdmissionRefusal.ReplicaFull, a.Refusal));

        await admissions.First(a => a.Slot is not null).Slot!.DisposeAsync();
        var next = await registry.TryAdmitAsync("u-next", CancellationToken.None);
        Assert.Equal(AdmissionRefusal.None, next.Refusal);
        Assert.Equal(AdmissionRefusal.ReplicaFull, (await registry.TryAdmitAsync("u-after", CancellationToken.None)).Refusal);
    }

    [Fact]
    public async Task Admit_TellsWhyItRefuses_UserFullBeforeTheReplicaIsFull_AndDrainingFirstOfAll()
    {
        var replica = new DrainState();
        var registry = CreateRegistry(maxPerUser: 1, maxSockets: 2, replica);
        await using var first = await AdmitAsync(registry, "u1", CancellationToken.None);
        Assert.Equal(AdmissionRefusal.UserFull, (await registry.TryAdmitAsync("u1", CancellationToken.None)).Refusal);

        // The refused one gave its replica place back: u2 still fits.
        await using var second = await AdmitAsync(registry, "u2", CancellationToken.None);
        Assert.NotNull(second);
        Assert.Equal(AdmissionRefusal.ReplicaFull, (await registry.TryAdmitAsync("u3", CancellationToken.None)).Refusal);

        replica.BeginDraining();
        Assert.Equal(AdmissionRefusal.Draining, (await registry.TryAdmitAsync("u3", CancellationToken.None)).Refusal);
    }

    private static async Task<RegistrySlot?> AdmitAsync(ConnectionRegistry registry, string userId, CancellationToken cancellationToken) =>
        (await registry.TryAdmitAsync(userId, cancellationToken)).Slot;

    private ConnectionRegistry CreateRegistry(int maxPerUser, int maxSockets = 0, DrainState? replica = null) =>
        new(_backplane, replica ?? new DrainState(), Microsoft.Extensions.Options.Options.Create(new ConnectionOptions { MaxSocketsPerUser = maxPerUser, MaxSockets = maxSockets }), NullLogger<ConnectionRegistry>.Instance);
}
