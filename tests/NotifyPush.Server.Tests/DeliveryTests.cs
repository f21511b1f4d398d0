using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Protocol;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>The delivery guarantee end to end on one replica: real Kestrel, real sockets, the SQLite store.</summary>
public sealed class DeliveryTests
{
    [Fact]
    public async Task Send_WhenUserHasTwoTabs_BothReceiveAndAnotherUserReceivesNothing()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        var alice = NewUser();
        var bob = NewUser();
        await using var tab1 = await TestSocket.ConnectAsync(server, alice);
        await using var tab2 = await TestSocket.ConnectAsync(server, alice);
        await using var other = await TestSocket.ConnectAsync(server, bob);
        await tab1.ReadUntilSyncedAsync();
        await tab2.ReadUntilSyncedAsync();
        await other.ReadUntilSyncedAsync();

        await ServiceApi.SendAsync(api, alice, "order.shipped", new { order = 1 });
        await ServiceApi.SendAsync(api, alice, "order.shipped", new { order = 2 });
        await ServiceApi.SendAsync(api, bob, "sentinel", new { marker = "bob" });

        foreach (var tab in new[] { tab1, tab2 })
        {
            var frames = await tab.ReadNotificationsAsync(2);
            Assert.Equal([1L, 2L], frames.Select(f => f.GetProperty("seq").GetInt64()));
            Assert.Equal("order.shipped", frames[0].GetProperty("event").GetString());
            Assert.Equal(2, frames[1].GetProperty("payload").GetProperty("order").GetInt32());
        }

        // Bob's first notification is his own sentinel: nothing of Alice's reached him before it.
        var bobs = await other.ReadNotificationsAsync(1);
        Assert.Equal("sentinel", bobs[0].GetProperty("event").GetString());
        Assert.Equal(1, bobs[0].GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Send_WhenFannedOutToThousandUsers_EachReceivesItOnce()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        var users = Enumerable.Range(0, 1000).Select(_ => NewUser()).ToList();
        var sockets = new List<TestSocket>();
        foreach (var batch in users.Chunk(50))
        {
            sockets.AddRange(await Task.WhenAll(batch.Select(u => TestSocket.ConnectAsync(server, u))));
        }

        try
        {
            await Task.WhenAll(sockets.Select(s => s.ReadUntilSyncedAsync(TimeSpan.FromSeconds(60))));
            var sent = await ServiceApi.SendAsync(api, users, "broadcast", new { n = 1 });
            Assert.Equal(users, sent.Select(s => s.UserId));
            Assert.All(sent, s => Assert.Equal(1, s.Seq));

            var received = await Task.WhenAll(sockets.Select(s => s.ReadNotificationsAsync(1, TimeSpan.FromSeconds(60))));
            Assert.All(received, frames => Assert.Equal("broadcast", frames.Single().GetProperty("event").GetString()));

            // Exactly once: a sentinel sent afterwards is the very next notification on every socket.
            await ServiceApi.SendAsync(api, users, "sentinel");
            var next = await Task.WhenAll(sockets.Select(s => s.ReadNotificationsAsync(1, TimeSpan.FromSeconds(60))));
            Assert.All(next, frames => Assert.Equal(2, frames.Single().GetProperty("seq").GetInt64()));
        }
        finally
        {
            await Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    [Fact]
    public async Task Connect_WithSince_ReplaysOnlyLaterNotificationsThenLive()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        var user = NewUser();
        for (var i = 0; i < 5; i++)
        {
            await ServiceApi.SendAsync(api, user);
        }

        await using var socket = await TestSocket.ConnectAsync(server, user, $"since=2&access_token={NotifyPushTestServer.UserToken(user)}");
        var (replayed, synced) = await socket.ReadUntilSyncedAsync();
        Assert.Equal([3L, 4L, 5L], replayed.Select(f => f.GetProperty("seq").GetInt64()));
        Assert.Equal(5, synced.GetProperty("seq").GetInt64());
        Assert.True(synced.GetProperty("recovered").GetBoolean());

        await ServiceApi.SendAsync(api, user);
        Assert.Equal(6, (await socket.ReadNotificationsAsync(1))[0].GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Connect_WithSinceFurtherBackThanMaxReplayCount_ReplaysEverythingStoredInPages()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Delivery:MaxReplayCount"] = "5",
            ["NotifyPush:Delivery:ReplayPageSize"] = "3",
        });
        using var api = server.CreateServiceClient();
        var user = NewUser();
        for (var i = 0; i < 20; i++)
        {
            await ServiceApi.SendAsync(api, user);
        }

        // since is a promise: everything the store holds after it, however long, in pages of 3.
        await using (var resumed = await TestSocket.ConnectAsync(server, user, $"since=2&access_token={NotifyPushTestServer.UserToken(user)}"))
        {
            var (replayed, synced) = await resumed.ReadUntilSyncedAsync();
            Assert.Equal(Enumerable.Range(3, 18).Select(i => (long)i), replayed.Select(f => f.GetProperty("seq").GetInt64()));
            Assert.Equal(20, synced.GetProperty("seq").GetInt64());
            Assert.True(synced.GetProperty("recovered").GetBoolean());
        }

        // Without since the cap still bounds a first connect: the newest 5, and recovered:false.
        await using var fresh = await TestSocket.ConnectAsync(server, user);
        var (newest, freshSynced) = await fresh.ReadUntilSyncedAsync();
        Assert.Equal([16L, 17L, 18L, 19L, 20L], newest.Select(f => f.GetProperty("seq").GetInt64()));
        Assert.False(freshSynced.GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task Replay_WhileLiveNotificationsOutgrowTheQueue_DeliversEveryOneInOrderWithoutClosing()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:SendQueueCapacity"] = "2",
            ["NotifyPush:Connections:SendTimeoutSeconds"] = "60",
            ["NotifyPush:Delivery:ReplayPageSize"] = "2",
            ["NotifyPush:Api:MaxPayloadBytes"] = "2000000",
        });
        using var api = server.CreateServiceClient();
        var user = NewUser();
        var big = new string('x', 500_000);
        for (var i = 0; i < 40; i++)
        {
            await ServiceApi.SendAsync(api, user, payload: new { big });
        }

        // The socket does not read yet: its replay of 20 MB stalls in the kernel's buffers while live
        // notifications arrive, more than the queue's 2 frames.
        var socket = await TestSocket.ConnectAsync(server, user, $"since=0&access_token={NotifyPushTestServer.UserToken(user)}", read: false);
        await using (socket)
        {
            var registry = server.GetService<ConnectionRegistry>();
            await ServiceApi.EventuallyAsync(() => Task.FromResult(registry.GetConnections(user).Length == 1), "the socket is registered");
            for (var i = 0; i < 10; i++)
            {
                await ServiceApi.SendAsync(api, user, payload: new { n = i });
            }

            socket.StartReading();
            var (replayed, synced) = await socket.ReadUntilSyncedAsync(TimeSpan.FromSeconds(60));
            var live = await socket.ReadNotificationsAsync(50 - replayed.Count, TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), replayed.Concat(live).Select(f => f.GetProperty("seq").GetInt64()));
            Assert.True(synced.GetProperty("recovered").GetBoolean());
            Assert.Equal(0, registry.GetConnections(user)[0].CloseCode);
        }
    }

    [Fact]
    public async Task Connect_WithoutSince_ReplaysUnacknowledgedAndAcksMoveTheResumePoint()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        var user = NewUser();
        for (var i = 0; i < 5; i++)
        {
            await ServiceApi.SendAsync(api, user);
        }

        await using (var first = await TestSocket.ConnectAsync(server, user))
        {
            var (replayed, synced) = await first.ReadUntilSyncedAsync();
            Assert.Equal([1L, 2L, 3L, 4L, 5L], replayed.Select(f => f.GetProperty("seq").GetInt64()));
            Assert.True(synced.GetProperty("recovered").GetBoolean());
            await first.AckAsync(3);
            var store = server.GetService<INotificationStore>();
            await ServiceApi.EventuallyAsync(async () => (await store.GetStreamStateAsync(user, CancellationToken.None)).AckedSeq == 3, "the ack of seq 3 is stored");
        }

        await using var second = await TestSocket.ConnectAsync(server, user);
        var (again, syncedAgain) = await second.ReadUntilSyncedAsync();
        Assert.Equal([4L, 5L], again.Select(f => f.GetProperty("seq").GetInt64()));
        Assert.Equal(5, syncedAgain.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task Connect_WhenResumePointIsOlderThanRetention_SyncedSaysNotRecovered()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Retention:DeliveredHistoryHours"] = "0" });
        using var api = server.CreateServiceClient();
        var user = NewUser();
        for (var i = 0; i < 3; i++)
        {
            await ServiceApi.SendAsync(api, user);
        }

        await using (var socket = await TestSocket.ConnectAsync(server, user))
        {
            await socket.ReadUntilSyncedAsync();
            await socket.AckAsync(3);
        }

        var store = server.GetService<INotificationStore>();
        await ServiceApi.EventuallyAsync(async () => (await store.GetStreamStateAsync(user, CancellationToken.None)).AckedSeq == 3, "the ack is stored");
        var deleted = await server.GetService<RetentionService>().RunOnceAsync(CancellationToken.None);
        var afterCleanup = await store.GetStreamStateAsync(user, CancellationToken.None);
        Assert.True(afterCleanup.PrunedSeq == 3, $"deleted {deleted}, state {afterCleanup}");

        await using var old = await TestSocket.ConnectAsync(server, user, $"since=0&access_token={NotifyPushTestServer.UserToken(user)}");
        var (replayed, synced) = await old.ReadUntilSyncedAsync();
        Assert.Empty(replayed);
        Assert.False(synced.GetProperty("recovered").GetBoolean());
        Assert.Equal(3, synced.GetProperty("seq").GetInt64());

        await using var current = await TestSocket.ConnectAsync(server, user, $"since=3&access_token={NotifyPushTestServer.UserToken(user)}");
        Assert.True((await current.ReadUntilSyncedAsync()).Synced.GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task Send_WhenEightSendersRaceForOneUser_SeqsHaveNoHolesAndEverySocketGetsThemInOrder()
    {
        using var server = new NotifyPushTestServer();
        var user = NewUser();
        await using var tab1 = await TestSocket.ConnectAsync(server, user);
        await using var tab2 = await TestSocket.ConnectAsync(server, user);
        await tab1.ReadUntilSyncedAsync();
        await tab2.ReadUntilSyncedAsync();

        var senders = Enumerable.Range(0, 8).Select(async _ =>
        {
            using var api = server.CreateServiceClient();
            var seqs = new List<long>();
            for (var i = 0; i < 200; i++)
            {
                seqs.AddRange((await ServiceApi.SendAsync(api, user)).Select(s => s.Seq));
            }

            return seqs;
        });
        var assigned = (await Task.WhenAll(senders)).SelectMany(s => s).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 1600).Select(i => (long)i), assigned);

        foreach (var tab in new[] { tab1, tab2 })
        {
            var frames = await tab.ReadNotificationsAsync(1600, TimeSpan.FromSeconds(60));
            Assert.Equal(Enumerable.Range(1, 1600).Select(i => (long)i), frames.Select(f => f.GetProperty("seq").GetInt64()));
        }
    }

    [Fact]
    public async Task SlowConsumer_IsClosedWith4008_AndGetsEverythingOnReconnect()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:SendQueueCapacity"] = "4",
            ["NotifyPush:Connections:SendTimeoutSeconds"] = "60",
            ["NotifyPush:Api:MaxPayloadBytes"] = "2000000",
        });
        using var api = server.CreateServiceClient();
        var user = NewUser();
        var slow = await TestSocket.ConnectAsync(server, user, read: false);
        var registry = server.GetService<ConnectionRegistry>();
        await ServiceApi.EventuallyAsync(() => Task.FromResult(registry.GetConnections(user).Length == 1), "the socket is registered");

        // Large frames fill the kernel's socket buffers quickly; then the server's queue of 4 overflows.
        var big = new string('x', 1_000_000);
        var sent = 0;
        while (registry.GetConnections(user) is [var connection] && connection.CloseCode == 0)
        {
            await ServiceApi.SendAsync(api, user, payload: new { big });
            sent++;
            Assert.True(sent < 200, "The server never declared the non-reading socket a slow consumer.");
        }

        slow.StartReading();
        Assert.Equal(CloseCodes.SlowConsumer, await slow.WaitForCloseAsync(TimeSpan.FromSeconds(30)));
        var lastSeen = slow.ReceivedSeqs.DefaultIfEmpty(0).Max();
        await slow.DisposeAsync();

        await using var again = await TestSocket.ConnectAsync(server, user, $"since={lastSeen}&access_token={NotifyPushTestServer.UserToken(user)}");
        var (replayed, synced) = await again.ReadUntilSyncedAsync(TimeSpan.FromSeconds(60));
        var all = slow.ReceivedSeqs.Concat(replayed.Select(f => f.GetProperty("seq").GetInt64())).ToList();
        Assert.Equal(Enumerable.Range(1, sent).Select(i => (long)i), all);
        Assert.True(synced.GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task StalledReader_IsClosedWith4008_OnceItsQueueHoldsMoreThanTheByteLimit_AndGetsEverythingOnReconnect()
    {
        // The frame count alone (1024) would let this socket pin 200 MB; the byte bound (1 MiB) closes it long before.
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:SendQueueCapacity"] = "1024",
            ["NotifyPush:Connections:SendQueueBytes"] = "1048576",
            ["NotifyPush:Connections:SendTimeoutSeconds"] = "60",
            ["NotifyPush:Api:MaxPayloadBytes"] = "2000000",
        });
        using var api = server.CreateServiceClient();
        var user = NewUser();
        var stalled = await TestSocket.ConnectAsync(server, user, read: false);
        var registry = server.GetService<ConnectionRegistry>();
        await ServiceApi.EventuallyAsync(() => Task.FromResult(registry.GetConnections(user).Length == 1), "the socket is registered");
        var connection = registry.GetConnections(user)[0];

        // 200 KB frames: the kernel's buffers take some tens of them, then the queue's 1 MiB fills after about five.
        var payload = new string('x', 200_000);
        var sent = 0;
        while (connection.CloseCode == 0)
        {
            await ServiceApi.SendAsync(api, user, payload: new { payload });
            sent++;
            Assert.True(sent < 150, $"The server kept queueing for a stalled reader: {sent} frames of 200 KB and no 4008.");
        }

        Assert.Equal(CloseCodes.SlowConsumer, connection.CloseCode);
        stalled.StartReading();
        Assert.Equal(CloseCodes.SlowConsumer, await stalled.WaitForCloseAsync(TimeSpan.FromSeconds(30)));
        var lastSeen = stalled.ReceivedSeqs.DefaultIfEmpty(0).Max();
        await stalled.DisposeAsync();

        await using var again = await TestSocket.ConnectAsync(server, user, $"since={lastSeen}&access_token={NotifyPushTestServer.UserToken(user)}");
        var (replayed, synced) = await again.ReadUntilSyncedAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(1, sent).Select(i => (long)i), stalled.ReceivedSeqs.Concat(replayed.Select(f => f.GetProperty("seq").GetInt64())));
        Assert.True(synced.GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task WriteLongerThanTheSendTimeout_AbortsTheSocketWith1001_AndReleasesItsSlot()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:SendQueueCapacity"] = "1000",
            ["NotifyPush:Connections:SendQueueBytes"] = "1000000000",
            ["NotifyPush:Connections:SendTimeoutSeconds"] = "1",
            ["NotifyPush:Api:MaxPayloadBytes"] = "2000000",
        });
        using var api = server.CreateServiceClient();
        var user = NewUser();
        await using var stuck = await TestSocket.ConnectAsync(server, user, read: false);
        var registry = server.GetService<ConnectionRegistry>();
        await ServiceApi.EventuallyAsync(() => Task.FromResult(registry.GetConnections(user).Length == 1), "the socket is registered");
        var connection = registry.GetConnections(user)[0];

        // Large frames fill the kernel's socket buffers; the next write then blocks and the heartbeat cuts it off.
        // The queue (1000 frames, 1 GB) never overflows, so the close is the send timeout's, not a slow consumer's 4008.
        var big = new string('x', 1_000_000);
        var sent = 0;
        while (connection.CloseCode == 0)
        {
            await ServiceApi.SendAsync(api, user, payload: new { big });
            sent++;
            Assert.True(sent < 200, "The server never timed out the blocked write.");
        }

        Assert.Equal(CloseCodes.GoingAway, connection.CloseCode);
        await ServiceApi.EventuallyAsync(() => Task.FromResult(registry.GetConnections(user).Length == 0), "the aborted socket leaves the registry");
    }

    [Fact]
    public async Task SilentClient_IsClosedAfterTheHeartbeatTimeout_WhileAnAnsweringOneStays()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:HeartbeatSeconds"] = "1",
            ["NotifyPush:Connections:HeartbeatTimeoutSeconds"] = "1",
        });
        var user = NewUser();
        await using var silent = await TestSocket.ConnectAsync(server, user, answerPings: false);
        await using var lively = await TestSocket.ConnectAsync(server, user);
        var welcome = await lively.NextOfTypeAsync("welcome");
        Assert.Equal(1, welcome.GetProperty("heartbeatSeconds").GetInt32());

        Assert.Equal(CloseCodes.GoingAway, await silent.WaitForCloseAsync(TimeSpan.FromSeconds(15)));

        // The answering socket outlives several heartbeat rounds (each ping answered with a pong).
        var pingsAtSilentClose = lively.PingsReceived;
        await ServiceApi.EventuallyAsync(() => Task.FromResult(lively.PingsReceived >= pingsAtSilentClose + 3 || lively.Closed.IsCompleted), "three more pings reach the answering socket");
        Assert.False(lively.Closed.IsCompleted);
        Assert.Single(server.GetService<ConnectionRegistry>().GetConnections(user).ToArray());
    }

    [Fact]
    public async Task Connect_WithNothingStoredAfterTheResumePoint_ReadsNoNotificationsAndStillGetsTheNextLive()
    {
        ReadCountingStore? counting = null;
        using var server = new NotifyPushTestServer(services: services =>
        {
            var original = services.Last(d => d.ServiceType == typeof(INotificationStore));
            services.Remove(original);
            services.AddSingleton<INotificationStore>(provider => counting = new ReadCountingStore((INotificationStore)original.ImplementationFactory!(provider)));
        });
        using var api = server.CreateServiceClient();
        var (fresh, caughtUp, behind) = (NewUser(), NewUser(), NewUser());
        await ServiceApi.SendAsync(api, caughtUp);
        await ServiceApi.SendAsync(api, behind);
        await ServiceApi.SendAsync(api, behind);

        await using var freshSocket = await TestSocket.ConnectAsync(server, fresh);
        await using var caughtUpSocket = await TestSocket.ConnectAsync(server, caughtUp, $"since=1&access_token={NotifyPushTestServer.UserToken(caughtUp)}");
        await using var behindSocket = await TestSocket.ConnectAsync(server, behind, $"since=1&access_token={NotifyPushTestServer.UserToken(behind)}");
        var freshSync = await freshSocket.ReadUntilSyncedAsync();
        var caughtUpSync = await caughtUpSocket.ReadUntilSyncedAsync();
        var behindSync = await behindSocket.ReadUntilSyncedAsync();

        Assert.Equal((0, 0L, true), (freshSync.Replayed.Count, freshSync.Synced.GetProperty("seq").GetInt64(), freshSync.Synced.GetProperty("recovered").GetBoolean()));
        Assert.Equal((0, 1L, true), (caughtUpSync.Replayed.Count, caughtUpSync.Synced.GetProperty("seq").GetInt64(), caughtUpSync.Synced.GetProperty("recovered").GetBoolean()));
        Assert.Equal([2L], behindSync.Replayed.Select(f => f.GetProperty("seq").GetInt64()));
        Assert.NotNull(counting);
        Assert.Equal((0, 0), (counting.ReadsOf(fresh), counting.ReadsOf(caughtUp)));
        Assert.True(counting.ReadsOf(behind) > 0, "the socket with something to replay reads it from the store");

        // What is committed after the state was read comes live, in order.
        await ServiceApi.SendAsync(api, fresh);
        await ServiceApi.SendAsync(api, caughtUp);
        Assert.Equal(1, (await freshSocket.NextOfTypeAsync("notification")).GetProperty("seq").GetInt64());
        Assert.Equal(2, (await caughtUpSocket.NextOfTypeAsync("notification")).GetProperty("seq").GetInt64());
    }
}

/// <summary>The server's own store, counting the notification reads per user.</summary>
internal sealed class ReadCountingStore(INotificationStore inner) : INotificationStore, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);

    public int ReadsOf(string userId) => _reads.GetValueOrDefault(userId);

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken) => inner.AppendAsync(request, cancellationToken);

    public Task<IReadOnlyList<StoredNotification>> ReadAsync(string userId, long afterSeq, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        _reads.AddOrUpdate(userId, 1, static (_, count) => count + 1);
        return inner.ReadAsync(userId, afterSeq, limit, now, cancellationToken);
    }

    public Task<UserStreamState> GetStreamStateAsync(string userId, CancellationToken cancellationToken) => inner.GetStreamStateAsync(userId, cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> GetStreamHeadsAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken) =>
        inner.GetStreamHeadsAsync(userIds, cancellationToken);

    public Task AcknowledgeAsync(IReadOnlyCollection<StreamAck> acks, CancellationToken cancellationToken) => inner.AcknowledgeAsync(acks, cancellationToken);

    public Task<CleanupResult> CleanupAsync(DateTimeOffset now, TimeSpan deliveredRetention, int batchSize, CancellationToken cancellationToken) =>
        inner.CleanupAsync(now, deliveredRetention, batchSize, cancellationToken);

    public Task<CleanupResult> CleanupIdempotencyKeysAsync(DateTimeOffset now, TimeSpan window, int batchSize, CancellationToken cancellationToken) =>
        inner.CleanupIdempotencyKeysAsync(now, window, batchSize, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
