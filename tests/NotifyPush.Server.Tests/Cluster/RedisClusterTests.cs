using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// Two NotifyPush replicas on a Redis Cluster of 3 masters and 3 replicas that the test starts
/// (<see cref="RedisClusterServer"/>), with <c>NotifyPush:Backplane:Mode=Cluster</c>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RedisCluster_DeliversAcrossReplicasOverShardChannelsAndNoClassicChannel()
    {
        await using var redis = await RedisClusterServer.StartAsync();
        await using var cluster = await StartClusterAsync(redis);
        var (holder, sender) = (cluster.Replicas[0], cluster.Replicas[1]);

        // Enough users that their channels' slots fall on every shard.
        var users = Enumerable.Range(1, 12).Select(i => $"user-{i}-{Guid.NewGuid():N}").ToList();
        var sockets = new List<TestSocket>();
        try
        {
            foreach (var user in users)
            {
                var socket = await TestSocket.ConnectAsync(holder.SocketUriFor(user));
                sockets.Add(socket);
                await socket.ReadUntilSyncedAsync();
            }

            await ServiceApi.SendAsync(sender.Api, users);
            foreach (var socket in sockets)
            {
                Assert.Equal(1, (await socket.ReadNotificationsAsync(1, Bound))[0].GetProperty("seq").GetInt64());
            }

            var (shard, classic) = await redis.ChannelsAsync($"{cluster.ChannelPrefix}:user:*");
            output.WriteLine($"shard channels: {shard.Count}, classic channels: {classic.Count}");
            Assert.Equal(users.Select(u => $"{cluster.ChannelPrefix}:user:{u}").Order(StringComparer.Ordinal), shard.Order(StringComparer.Ordinal));
            Assert.Empty(classic);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task RedisCluster_PresenceOfManyUsersIsReadAcrossReplicasWithoutCrossSlotCommands()
    {
        await using var redis = await RedisClusterServer.StartAsync();
        await using var cluster = await StartClusterAsync(redis);
        var (holder, reader) = (cluster.Replicas[0], cluster.Replicas[1]);

        var online = Enumerable.Range(1, 6).Select(i => $"online-{i}-{Guid.NewGuid():N}").ToList();
        var left = $"left-{Guid.NewGuid():N}";
        var never = Enumerable.Range(1, 6).Select(i => $"never-{i}-{Guid.NewGuid():N}").ToList();
        var sockets = new List<TestSocket>();
        try
        {
            foreach (var user in online.Append(left))
            {
                var socket = await TestSocket.ConnectAsync(holder.SocketUriFor(user));
                sockets.Add(socket);
                await socket.ReadUntilSyncedAsync();
            }

            // One user leaves: its last-seen time is written to its own key (a slot of its own).
            var leaving = sockets[^1];
            sockets.RemoveAt(sockets.Count - 1);
            await leaving.DisposeAsync();

            var all = online.Append(left).Concat(never).ToList();
            JsonElement[] presence = [];
            await ServiceApi.EventuallyAsync(
                async () =>
                {
                    using var response = await reader.Api.PostAsJsonAsync("/api/presence", new { userIds = all }).WaitAsync(Bound);
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
                    using var document = JsonDocument.Parse(body);
                    presence = [.. document.RootElement.GetProperty("users").EnumerateArray().Select(u => u.Clone())];
                    // The last-seen key and the replica's hash live in different slots (other nodes): the reader
                    // may see one write before the other, so wait for both.
                    return presence.Take(online.Count).All(u => u.GetProperty("online").GetBoolean())
                        && !presence[online.Count].GetProperty("online").GetBoolean()
                        && presence[online.Count].GetProperty("lastSeenAt").ValueKind == JsonValueKind.String;
                },
                "the other replica reads every online user, and the one who left as offline with a last-seen time",
                Bound);

            Assert.Equal(all, presence.Select(u => u.GetProperty("userId").GetString()));
            Assert.All(presence.Take(online.Count), u => Assert.Equal(1, u.GetProperty("sockets").GetInt32()));
            Assert.False(presence[online.Count].GetProperty("online").GetBoolean());
            Assert.All(presence.Skip(online.Count + 1), u => Assert.False(u.GetProperty("online").GetBoolean()));
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task RedisCluster_MasterKilledAndItsReplicaPromotedMidRun_EveryClientReceivesOneToNExactlyOnce()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var elapsed = Stopwatch.StartNew();
        await using var redis = await RedisClusterServer.StartAsync();
        await using var cluster = await StartClusterAsync(redis);
        var users = Enumerable.Range(1, 30).Select(i => $"user-{i}").ToList();
        await using var fleet = new ClientFleet(cluster, users, clientsPerUser: 1, seed);
        await fleet.WaitUntilConnectedAsync(Bound);

        var load = new SendLoad(cluster, users);
        using var stop = new CancellationTokenSource();
        var sending = load.RunAsync(senders: 5, sendsPerSender: int.MaxValue, seed, pace: TimeSpan.FromMilliseconds(20), stop.Token);
        await ServiceApi.EventuallyAsync(() => Task.FromResult(load.Accepted >= 200), "200 sends were accepted before the fault", Bound);

        var failover = Stopwatch.StartNew();
        var killed = await redis.KillMasterAndAwaitFailoverAsync(Bound);
        var failoverSeconds = failover.Elapsed.TotalSeconds;
        var acceptedAtFailover = load.Accepted;
        await ServiceApi.EventuallyAsync(() => Task.FromResult(load.Accepted >= acceptedAtFailover + 200), "200 more sends were accepted after the failover", Bound);

        await stop.CancelAsync();
        await sending.WaitAsync(Bound);
        await fleet.WaitUntilCaughtUpAsync(cluster, TimeSpan.FromSeconds(40));

        // The doorbells work again after the failover, not only the store's catch-up: every user's shard channel is
        // subscribed on the live nodes (those of the killed master's slots on its promoted replica).
        var expected = users.Select(u => $"{cluster.ChannelPrefix}:user:{u}").ToHashSet(StringComparer.Ordinal);
        await ServiceApi.EventuallyAsync(
            async () => expected.IsSubsetOf((await redis.ChannelsAsync($"{cluster.ChannelPrefix}:user:*")).Shard),
            "every user's shard channel is subscribed again after the failover",
            Bound);

        await ClusterReport.VerifyAsync(
            output,
            cluster,
            fleet,
            load,
            elapsed,
            $"redis cluster: master on port {killed} SIGKILLed, its replica promoted ({(redis.LastFailoverTakenOver ? "CLUSTER FAILOVER TAKEOVER" : "elected")}) and cluster_state:ok after {failoverSeconds:F1} s");
    }

    private static async Task<TestCluster> StartClusterAsync(RedisClusterServer redis)
    {
        var cluster = await TestCluster.StartAsync(
            replicas: 2,
            redis.Configuration,
            new Dictionary<string, string?>
            {
                ["NotifyPush:Backplane:Mode"] = "Cluster",
                ["NotifyPush:Presence:FlushIntervalMilliseconds"] = "100",
                // Whatever a doorbell lost while a shard changed hands reaches its socket within a second.
                ["NotifyPush:Delivery:PositionCheckSeconds"] = "1",
            });
        try
        {
            foreach (var replica in cluster.Replicas)
            {
                await ServiceApi.EventuallyAsync(
                    async () => (await replica.ReadyAsync()).Report.GetProperty("backplane").GetProperty("connected").GetBoolean(),
                    $"{replica.Name} is connected to the Redis Cluster",
                    Bound);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }
}
