using NotifyPush.Core.Connections;
using NotifyPush.Core.Protocol;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>Routing across replicas through the Redis backplane: the right user, every tab, in order, once.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterRoutingTests
{
    [Fact]
    public async Task Send_ThroughReplicaB_ReachesTheUsersSocketOnReplicaA()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 2);
        var (a, b) = (cluster.Replicas[0], cluster.Replicas[1]);
        await using var socket = await TestSocket.ConnectAsync(a.SocketUriFor("alice"));
        var (replayed, _) = await socket.ReadUntilSyncedAsync();
        Assert.Empty(replayed);

        var sent = (await ServiceApi.SendAsync(b.Api, "alice", "order.shipped", new { order = 7 })).Single();

        // After synced, so it came live over the backplane, not from a replay.
        var frame = (await socket.ReadNotificationsAsync(1)).Single();
        Assert.Equal(1, frame.GetProperty("seq").GetInt64());
        Assert.Equal(sent.Id, frame.GetProperty("id").GetGuid());
        Assert.Equal("order.shipped", frame.GetProperty("event").GetString());
        Assert.Equal(7, frame.GetProperty("payload").GetProperty("order").GetInt32());
    }

    [Fact]
    public async Task Send_WhenUserHasTabsOnReplicasAAndC_EachTabReceivesEachNotificationOnceInOrder()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 3);
        var replicas = cluster.Replicas;
        await using var tabOnA = await TestSocket.ConnectAsync(replicas[0].SocketUriFor("alice"));
        await using var tabOnC = await TestSocket.ConnectAsync(replicas[2].SocketUriFor("alice"));
        await tabOnA.ReadUntilSyncedAsync();
        await tabOnC.ReadUntilSyncedAsync();

        // Through A, B and C in turn: the tabs see sends made on their own replica, on the other tab's and on neither.
        for (var n = 1; n <= 20; n++)
        {
            await ServiceApi.SendAsync(replicas[n % 3].Api, "alice", "chat.message", new { n });
        }

        foreach (var tab in new[] { tabOnA, tabOnC })
        {
            var frames = await tab.ReadNotificationsAsync(20);
            Assert.Equal(Enumerable.Range(1, 20).Select(n => (long)n), frames.Select(f => f.GetProperty("seq").GetInt64()));
            Assert.All(frames, f => Assert.Equal(f.GetProperty("seq").GetInt64(), f.GetProperty("payload").GetProperty("n").GetInt64()));
        }

        // Once: the next frame on each tab is this sentinel, so nothing was delivered twice in between.
        await ServiceApi.SendAsync(replicas[1].Api, "alice", "sentinel");
        foreach (var tab in new[] { tabOnA, tabOnC })
        {
            var sentinel = (await tab.ReadNotificationsAsync(1)).Single();
            Assert.Equal("sentinel", sentinel.GetProperty("event").GetString());
            Assert.Equal(Enumerable.Range(1, 21).Select(n => (long)n), tab.ReceivedSeqs);
        }
    }

    [Fact]
    public async Task Disconnect_ThroughReplicaC_ClosesTheUsersSocketsOnReplicasAAndBWith4003AndNoOtherSocket()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 3);
        var (a, b, c) = (cluster.Replicas[0], cluster.Replicas[1], cluster.Replicas[2]);
        await using var aliceOnA = await TestSocket.ConnectAsync(a.SocketUriFor("alice"));
        await using var aliceOnB = await TestSocket.ConnectAsync(b.SocketUriFor("alice"));
        await using var bobOnA = await TestSocket.ConnectAsync(a.SocketUriFor("bob"));
        await using var bobOnC = await TestSocket.ConnectAsync(c.SocketUriFor("bob"));
        foreach (var socket in new[] { aliceOnA, aliceOnB, bobOnA, bobOnC })
        {
            await socket.ReadUntilSyncedAsync();
        }

        // C holds no socket of alice: the sign-out reaches A and B only through the backplane.
        using var response = await c.Api.PostAsync("/api/users/alice/disconnect", null);

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(CloseCodes.SignedOut, await aliceOnA.WaitForCloseAsync());
        Assert.Equal(CloseCodes.SignedOut, await aliceOnB.WaitForCloseAsync());

        // Bob's sockets, one beside alice's on A and one on C where the sign-out was sent, stay open.
        await ServiceApi.SendAsync(b.Api, "bob", "still-open");
        foreach (var socket in new[] { bobOnA, bobOnC })
        {
            Assert.Equal("still-open", (await socket.ReadNotificationsAsync(1)).Single().GetProperty("event").GetString());
            Assert.False(socket.Closed.IsCompleted);
        }
    }

    [Fact]
    public async Task Send_ToUserIdsThatLookLikeChannelPatterns_ReachesOnlyThatExactUserOnEveryReplica()
    {
        // Redis glob characters and the channel separator: with a PSUBSCRIBE, or a channel name built without
        // care, "*" or "a*" would hear "a" and "a:b", and "a" could hear "a:b".
        string[] users = ["*", "a:b", "a*", "a", "b", "*x", "?", "[ab]"];
        await using var cluster = await TestCluster.StartAsync(replicas: 3);
        var sockets = new List<(string User, TestSocket Socket)>();
        try
        {
            foreach (var user in users)
            {
                foreach (var replica in cluster.Replicas)
                {
                    var socket = await TestSocket.ConnectAsync(replica.SocketUriFor(user));
                    sockets.Add((user, socket));
                    await socket.ReadUntilSyncedAsync();
                }
            }

            // A leaked frame only shows if it reaches a socket before that socket's own frame of the same seq (later
            // it is dropped as already sent). Round 1 goes forwards and round 2 backwards through the users, so for
            // every pair one of the rounds sends the other user's frame first.
            var round = 0;
            foreach (var order in new[] { users, users.Reverse().ToArray() })
            {
                round++;
                for (var i = 0; i < order.Length; i++)
                {
                    await ServiceApi.SendAsync(cluster.Replicas[i % 3].Api, order[i], "private", new { to = order[i], round });
                }
            }

            foreach (var (user, socket) in sockets)
            {
                var frames = await socket.ReadNotificationsAsync(2);
                Assert.All(frames, f => Assert.Equal(user, f.GetProperty("payload").GetProperty("to").GetString()));
            }

            // Nothing else arrived: each socket's next frame is its own sentinel, seq 3.
            await ServiceApi.SendAsync(cluster.Replicas[0].Api, users, "sentinel");
            foreach (var (user, socket) in sockets)
            {
                var sentinel = (await socket.ReadNotificationsAsync(1)).Single();
                Assert.Equal("sentinel", sentinel.GetProperty("event").GetString());
                Assert.True(socket.ReceivedSeqs.SequenceEqual([1L, 2L, 3L]), $"{user}: received seqs {string.Join(",", socket.ReceivedSeqs)}");
            }
        }
        finally
        {
            await Task.WhenAll(sockets.Select(s => s.Socket.DisposeAsync().AsTask()));
        }
    }
}
