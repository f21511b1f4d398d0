using System.Diagnostics;
using System.Net;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>The backplane is a doorbell: while Redis is gone, sends still commit, and nothing is lost when it returns.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterRedisOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task RedisStoppedForTenSeconds_SendsStillAcceptedAndEveryClientGetsOneToNAfterItReturns()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var elapsed = Stopwatch.StartNew();

        // A Redis of this test's own: stopping the shared one would disturb every other test.
        await using var redis = await RedisServerProcess.StartAsync();
        await using var cluster = await TestCluster.StartAsync(replicas: 3, redis.Configuration);
        var users = Enumerable.Range(1, 20).Select(i => $"user-{i}").ToList();
        await using var fleet = new ClientFleet(cluster, users, clientsPerUser: 2, seed);
        await fleet.WaitUntilConnectedAsync(TimeSpan.FromSeconds(30));

        var load = new SendLoad(cluster, users);
        using var stop = new CancellationTokenSource();
        var sending = load.RunAsync(senders: 5, sendsPerSender: int.MaxValue, seed, pace: TimeSpan.FromMilliseconds(20), stop.Token);
        // Some clients also reconnect during the outage: their replay comes from the store alone.
        var chaos = fleet.DisruptRandomlyAsync(new Random(seed), TimeSpan.FromMilliseconds(100), stop.Token);
        await ServiceApi.EventuallyAsync(() => Task.FromResult(load.Accepted >= 200), "200 sends were accepted with Redis up", TimeSpan.FromSeconds(60));

        var acceptedBefore = load.Accepted;
        await redis.StopAsync();
        var outage = Stopwatch.StartNew();

        // Readiness reports the lost backplane but stays 200: the store is fine, sends still commit.
        var observer = cluster.Replicas[0];
        await ServiceApi.EventuallyAsync(
            async () => !(await observer.ReadyAsync()).Report.GetProperty("backplane").GetProperty("connected").GetBoolean(),
            "/readyz reports the backplane disconnected",
            TimeSpan.FromSeconds(15));
        var (status, report) = await observer.ReadyAsync();
        output.WriteLine($"/readyz of {observer.Name} during the outage: {(int)status} {report}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", report.GetProperty("store").GetString());
        Assert.False(report.GetProperty("backplane").GetProperty("connected").GetBoolean());

        // The outage has a fixed length (and must see sends through it); this is its clock, not a wait for Redis.
        await ServiceApi.EventuallyAsync(
            () => Task.FromResult(outage.Elapsed >= Outage && load.Accepted - acceptedBefore >= 100),
            $"Redis was down for {Outage.TotalSeconds} s with sends going on",
            Outage + TimeSpan.FromSeconds(30));
        var acceptedDuringOutage = load.Accepted - acceptedBefore;
        await redis.StartAgainAsync();
        var outageSeconds = outage.Elapsed.TotalSeconds;

        await ServiceApi.EventuallyAsync(
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
            "every replica's backplane is connected again",
            TimeSpan.FromSeconds(30));
        var acceptedAfterRestart = load.Accepted;
        await ServiceApi.EventuallyAsync(() => Task.FromResult(load.Accepted >= acceptedAfterRestart + 200), "200 more sends were accepted after the restart", TimeSpan.FromSeconds(60));

        await stop.CancelAsync();
        await Task.WhenAll(sending, chaos).WaitAsync(TimeSpan.FromSeconds(60));
        await fleet.WaitUntilCaughtUpAsync(cluster, TimeSpan.FromSeconds(60));

        await ClusterReport.VerifyAsync(
            output,
            cluster,
            fleet,
            load,
            elapsed,
            $"redis outage: {outageSeconds:F1} s, {acceptedDuringOutage} sends accepted during it");
        Assert.True(load.Retries == 0, $"Every send should get 202 at the first attempt, also while Redis is down; failed attempts: {load.Failures}");
        Assert.True(cluster.CountLogEvents(Core.Diagnostics.NotifyPushEventIds.BackplaneRestored) >= cluster.Replicas.Count, "every replica caught its sockets up after the restore");
    }
    [Fact]
    public async Task RedisFrozenForThreeSeconds_CommittedSendsAnswerAtOnceAndTheirDoorbellsRingInOrderAfterwards()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var cluster = await TestCluster.StartAsync(replicas: 2, redis.Configuration);
        var (holder, sender) = (cluster.Replicas[0], cluster.Replicas[1]);
        var user = $"user-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(holder.SocketUriFor(user));
        await socket.ReadUntilSyncedAsync();
        await ServiceApi.SendAsync(sender.Api, user);
        Assert.Equal(1, (await socket.ReadNotificationsAsync(1))[0].GetProperty("seq").GetInt64());

        // SIGSTOP: the connections stay open and nothing answers, as with a stalled host; for 3 s.
        var frozen = redis.FreezeAsync(TimeSpan.FromSeconds(3));
        var paused = Stopwatch.StartNew();
        var answered = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var started = paused.Elapsed;
            await ServiceApi.SendAsync(sender.Api, user);
            answered.Add(paused.Elapsed - started);
        }

        var sendsTook = paused.Elapsed;
        await frozen;
        output.WriteLine($"202 after {string.Join(", ", answered.Select(a => $"{a.TotalMilliseconds:F0} ms"))} with Redis frozen");
        Assert.True(sendsTook < TimeSpan.FromSeconds(2), $"The committed sends waited for the paused Redis: {string.Join(", ", answered)}");

        // The doorbells ring once Redis answers again, and the socket gets 2, 3, 4.
        var frames = await socket.ReadNotificationsAsync(3, TimeSpan.FromSeconds(20));
        Assert.Equal([2L, 3L, 4L], frames.Select(f => f.GetProperty("seq").GetInt64()));
    }
}
