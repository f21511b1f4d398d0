using System.Diagnostics;
using NotifyPush.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>A replica leaving the cluster, by a crash or by a deploy: its clients go on elsewhere and lose nothing.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterReplicaLossTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ReplicaKilledMidRun_ItsClientsResumeOnOtherReplicasWithNothingLost()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var elapsed = Stopwatch.StartNew();
        await using var cluster = await TestCluster.StartAsync(replicas: 2);
        // A real process, so that killing it is a crash: no drain, no close frames, the kernel drops its connections.
        var victim = await cluster.AddProcessReplicaAsync();

        await using var run = await LoadedRun.StartAsync(cluster, victim, seed);
        await victim.KillAsync();
        // Until the load balancer's health check notices, senders and reconnecting clients still reach the dead
        // address; the sends retry elsewhere with their Idempotency-Key (one in flight may have committed already).
        await ServiceApi.EventuallyAsync(() => Task.FromResult(run.Load.Retries > 0), $"a send hit the dead {victim.Name}", Timeout);
        victim.InRotation = false;
        await run.FinishAsync();

        var victimCloses = run.ClosesOnVictim();
        await ClusterReport.VerifyAsync(output, cluster, run.Fleet, run.Load, elapsed, $"killed {victim.Name} with {run.Stranded.Count} clients on it; their sockets ended with {ClusterReport.Describe(victimCloses)}");

        // Aborted, not closed: no client got a close frame from the dead replica.
        Assert.Equal(run.Stranded.Count, victimCloses.Count);
        Assert.All(victimCloses, close => Assert.Equal(1006, close.Code));
    }

    [Fact]
    public async Task ReplicaDrained_ItsClientsSee1012NeverA1006AndResumeElsewhereWithNothingLost()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var elapsed = Stopwatch.StartNew();
        await using var cluster = await TestCluster.StartAsync(replicas: 3, settings: new Dictionary<string, string?> { ["NotifyPush:Connections:DrainSeconds"] = "2" });
        var victim = cluster.InProcessReplicas.First();

        await using var run = await LoadedRun.StartAsync(cluster, victim, seed);
        // As an orchestrator's SIGTERM: out of the load balancer's pool, then a graceful stop that drains.
        var draining = Stopwatch.StartNew();
        await victim.StopGracefullyAsync(Timeout);
        var drainSeconds = draining.Elapsed.TotalSeconds;
        await run.FinishAsync();

        var victimCloses = run.ClosesOnVictim();
        await ClusterReport.VerifyAsync(output, cluster, run.Fleet, run.Load, elapsed, $"drained {victim.Name} in {drainSeconds:F1} s with {run.Stranded.Count} clients on it; their sockets ended with {ClusterReport.Describe(victimCloses)}");

        Assert.Equal(run.Stranded.Count, victimCloses.Count);
        Assert.All(victimCloses, close => Assert.Equal(1012, close.Code));
    }

    /// <summary>60 clients spread over the replicas and a paced load through all of them, around the loss of one replica.</summary>
    private sealed class LoadedRun : IAsyncDisposable
    {
        private readonly TestCluster _cluster;
        private readonly ClusterReplica _victim;
        private readonly CancellationTokenSource _stop = new();
        private Task _sending = Task.CompletedTask;

        private LoadedRun(TestCluster cluster, ClusterReplica victim, ClientFleet fleet, SendLoad load)
        {
            _cluster = cluster;
            _victim = victim;
            Fleet = fleet;
            Load = load;
        }

        public ClientFleet Fleet { get; }

        public SendLoad Load { get; }

        /// <summary>The clients whose socket was on the victim when it went.</summary>
        public List<ResumingClient> Stranded { get; private set; } = [];

        public static async Task<LoadedRun> StartAsync(TestCluster cluster, ClusterReplica victim, int seed)
        {
            var users = Enumerable.Range(1, 30).Select(i => $"user-{i}").ToList();
            var run = new LoadedRun(cluster, victim, new ClientFleet(cluster, users, clientsPerUser: 2, seed), new SendLoad(cluster, users));
            await run.Fleet.WaitUntilConnectedAsync(TimeSpan.FromSeconds(30));
            run.Stranded = run.Fleet.Clients.Where(c => c.CurrentReplica == victim).ToList();
            Assert.True(run.Stranded.Count > 0, $"No client landed on {victim.Name}; the test would prove nothing.");

            run._sending = run.Load.RunAsync(senders: 10, sendsPerSender: int.MaxValue, seed, pace: TimeSpan.FromMilliseconds(10), run._stop.Token);
            await ServiceApi.EventuallyAsync(() => Task.FromResult(run.Load.Accepted >= 300), "300 sends were accepted", Timeout);
            return run;
        }

        /// <summary>After the victim is gone: its clients settle elsewhere, more sends go through, then everyone catches up.</summary>
        public async Task FinishAsync()
        {
            await ServiceApi.EventuallyAsync(
                () => Task.FromResult(Stranded.All(c => c.CurrentReplica is { } replica && replica != _victim)),
                $"every client of {_victim.Name} resumed on another replica",
                Timeout);
            var accepted = Load.Accepted;
            await ServiceApi.EventuallyAsync(() => Task.FromResult(Load.Accepted >= accepted + 300), "300 more sends were accepted", Timeout);

            await _stop.CancelAsync();
            await _sending.WaitAsync(Timeout);
            await Fleet.WaitUntilCaughtUpAsync(_cluster, Timeout);
        }

        /// <summary>How the sockets on the victim ended.</summary>
        public List<SocketClose> ClosesOnVictim() =>
            Fleet.Clients.SelectMany(c => c.Closes).Where(c => c.Replica == _victim.Name).ToList();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _sending.WaitAsync(Timeout);
            await Fleet.DisposeAsync();
            _stop.Dispose();
        }
    }
}
