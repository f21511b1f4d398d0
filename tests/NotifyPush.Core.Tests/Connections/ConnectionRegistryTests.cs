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
        var first = await registry.TryReserveAsync("u1", CancellationToken.None);
        var second = await registry.TryReserveAsync("u1", CancellationToken.None);
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
        await using var a = await registry.TryReserveAsync("u1", CancellationToken.None);
        await using var b = await registry.TryReserveAsync("u1", CancellationToken.None);
        Assert.Null(await registry.TryReserveAsync("u1", CancellationToken.None));
        await using var other = await registry.TryReserveAsync("u2", CancellationToken.None);
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
                var slot = await registry.TryReserveAsync("u" + (i % 4), CancellationToken.None);
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
        var slot = await registry.TryReserveAsync("u1", CancellationToken.None);
        await slot!.DisposeAsync();
        await slot.DisposeAsync();
        Assert.Equal(["sub:u1", "unsub:u1"], _backplane.Calls);
        Assert.NotNull(await registry.TryReserveAsync("u1", CancellationToken.None));
    }

    [Fact]
    public async Task Reserve_WhileTheLastSlotsUnsubscribeIsInFlight_EndsSubscribed()
    {
        // A tab reloads: its old socket releases the user's last slot while the new socket reserves one.
        var backplane = new SlowUnsubscribeBackplane();
        var registry = new ConnectionRegistry(backplane, Microsoft.Extensions.Options.Options.Create(new ConnectionOptions()), NullLogger<ConnectionRegistry>.Instance);
        var first = await registry.TryReserveAsync("u1", CancellationToken.None);
        var releasing = first!.DisposeAsync().AsTask();
        await backplane.UnsubscribeStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var reserving = registry.TryReserveAsync("u1", CancellationToken.None).AsTask();
        backplane.UnsubscribeMayFinish.SetResult();
        await releasing.WaitAsync(TimeSpan.FromSeconds(10));
        await using var second = await reserving.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(second);
        Assert.True(backplane.IsSubscribed("u1"), "A socket holds a slot, so the replica must still receive its user's messages.");
    }

    private ConnectionRegistry CreateRegistry(int maxPerUser) =>
        new(_backplane, Microsoft.Extensions.Options.Options.Create(new ConnectionOptions { MaxSocketsPerUser = maxPerUser }), NullLogger<ConnectionRegistry>.Instance);
}
