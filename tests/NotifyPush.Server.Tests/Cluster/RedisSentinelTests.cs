using System.Diagnostics;
using NotifyPush.Server.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// The backplane (and presence and the shared rate limit, on the same multiplexer) connected through Redis Sentinel
/// with <c>serviceName=</c>: the monitored master killed mid-run, Sentinel promotes its replica, NotifyPush follows.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisSentinelTests(ITestOutputHelper output)
{
    private const int Users = 6;
    private const int SendsPerPhase = 4;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MasterKilledMidRun_SentinelPromotesTheReplicaAndEverySocketEndsWithExactlyOneToN(bool withPassword)
    {
        var elapsed = Stopwatch.StartNew();
        // With a password: the one password= of the configuration string opens the sentinels and the master.
        await using var sentinel = await RedisSentinelGroup.StartAsync(withPassword ? "sentinel-secret-4b7d" : null);
        await using var cluster = await TestCluster.StartAsync(
            replicas: 2,
            // A publish left waiting in the multiplexer's backlog times out after 1 s instead of 5, so it is less
            // likely to be carried over to the new master late. Whichever way the sends around the kill travel (late
            // publish, owed doorbell or the restore's catch-up), every socket must end with exactly 1..N.
            sentinel.Configuration + ",asyncTimeout=1000",
            new Dictionary<string, string?>
            {
                // The position check would catch a socket up on its own: at its longest, only the backplane's
                // re-subscription and its catch-up after the restore can bring the sockets their notifications here.
                ["NotifyPush:Delivery:PositionCheckSeconds"] = "3600",
                ["NotifyPush:Api:RateLimitPerSecond"] = "1000",
                ["NotifyPush:Presence:FlushIntervalMilliseconds"] = "100",
            });
        var (holder, sender) = (cluster.Replicas[0], cluster.Replicas[1]);
        await WaitUntilBackplanesConnectedAsync(cluster, "at the start");

        var users = Enumerable.Range(1, Users).Select(_ => $"user-{Guid.NewGuid():N}").ToList();
        var sockets = new List<TestSocket>();
        try
        {
            foreach (var user in users)
            {
                var socket = await TestSocket.ConnectAsync(holder.SocketUriFor(user));
                sockets.Add(socket);
                await socket.ReadUntilSyncedAsync();
            }

            // Every user subscribed on the master the sentinels name.
            await WaitUntilSubscribedAsync(sentinel, sentinel.MasterPort, cluster.ChannelPrefix, "on the first master");
            await SendPhaseAsync(sender, users);

            await sentinel.KillMasterAsync();
            var failover = Stopwatch.StartNew();
            // Sent while the master is gone and being replaced: committed to the store, their doorbells owed.
            await SendPhaseAsync(sender, users);
            await sentinel.WaitUntilReplicaPromotedAsync(TimeSpan.FromSeconds(45));
            var promotedAfter = failover.Elapsed;
            await WaitUntilBackplanesConnectedAsync(cluster, "after the failover");
            var reconnectedAfter = failover.Elapsed;

            // Before any later send (whose doorbell would make a socket fill its gap from the store): the sends
            // around the kill reached every socket, through the backplane's restore and its owed doorbells.
            await AssertEverySocketReadsAsync(sockets, from: 1, count: 2 * SendsPerPhase);

            // The holder re-subscribed every user on the promoted replica, which is the master now.
            await WaitUntilSubscribedAsync(sentinel, sentinel.ReplicaPort, cluster.ChannelPrefix, "on the promoted master");
            await SendPhaseAsync(sender, users);
            output.WriteLine($"failover: replica promoted after {promotedAfter.TotalSeconds:F1} s, both backplanes connected after {reconnectedAfter.TotalSeconds:F1} s; run {elapsed.Elapsed.TotalSeconds:F1} s");

            const int total = 3 * SendsPerPhase;
            await AssertEverySocketReadsAsync(sockets, from: 2 * SendsPerPhase + 1, count: SendsPerPhase);

            // Nothing more was queued behind them (no duplicate): the next frame of every socket is the next send.
            await SendPhaseAsync(sender, users, sends: 1);
            foreach (var socket in sockets)
            {
                var next = await socket.ReadNotificationsAsync(1, TimeSpan.FromSeconds(30));
                Assert.Equal(total + 1, next[0].GetProperty("seq").GetInt64());
            }

            Assert.True(cluster.CountLogEvents(Core.Diagnostics.NotifyPushEventIds.BackplaneRestored) >= 1, "the holder caught its sockets up after the restore");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    private static async Task AssertEverySocketReadsAsync(IReadOnlyList<TestSocket> sockets, int from, int count)
    {
        foreach (var socket in sockets)
        {
            var seqs = (await socket.ReadNotificationsAsync(count, TimeSpan.FromSeconds(30))).Select(f => f.GetProperty("seq").GetInt64());
            Assert.Equal(Enumerable.Range(from, count).Select(s => (long)s), seqs);
        }
    }

    private static async Task SendPhaseAsync(ClusterReplica sender, IReadOnlyList<string> users, int sends = SendsPerPhase)
    {
        for (var i = 0; i < sends; i++)
        {
            // A send commits in the store; the backplane being mid-failover must not fail it.
            await ServiceApi.SendAsync(sender.Api, users);
        }
    }

    private static Task WaitUntilBackplanesConnectedAsync(TestCluster cluster, string when) =>
        ServiceApi.EventuallyAsync(
            async () =>
            {
                foreach (var replica in cluster.Replicas)
                {
                    if (!(await replica.ReadyAsync()).Report.GetProperty("backplane").GetProperty("connected").GetBoolean())
                    {
                        return false;
                    }
                }

                return true;
            },
            $"every replica's backplane is connected {when}",
            TimeSpan.FromSeconds(45));

    private static async Task WaitUntilSubscribedAsync(RedisSentinelGroup group, int port, string prefix, string where)
    {
        await using var server = await group.ConnectServerAsync(port);
        var database = server.GetDatabase();
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                // Classic or sharded channels, whichever the backplane uses.
                var classic = (RedisResult[])(await database.ExecuteAsync("PUBSUB", "CHANNELS", prefix + ":*"))!;
                var sharded = (RedisResult[])(await database.ExecuteAsync("PUBSUB", "SHARDCHANNELS", prefix + ":*"))!;
                return classic.Length + sharded.Length >= Users;
            },
            $"every user's channel is subscribed {where} (port {port})",
            TimeSpan.FromSeconds(30));
    }
}
