using System.Diagnostics;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>The delivery guarantee under load while clients keep losing their sockets and landing on other replicas.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Chaos_SendsThroughRandomReplicasWhileClientsReconnectAtRandom_EveryClientReceivesOneToNExactlyOnce()
    {
        const int Users = 50;
        const int ClientsPerUser = 2;
        const int Senders = 20;
        const int SendsPerSender = 500;
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");

        var elapsed = Stopwatch.StartNew();
        await using var cluster = await TestCluster.StartAsync(replicas: 3);
        var users = Enumerable.Range(1, Users).Select(i => $"user-{i}").ToList();
        await using var fleet = new ClientFleet(cluster, users, ClientsPerUser, seed);
        await fleet.WaitUntilConnectedAsync(TimeSpan.FromSeconds(30));

        using var stopChaos = new CancellationTokenSource();
        var chaos = fleet.DisruptRandomlyAsync(new Random(seed), TimeSpan.FromMilliseconds(10), stopChaos.Token);
        var load = new SendLoad(cluster, users);
        await load.RunAsync(Senders, SendsPerSender, seed).WaitAsync(TimeSpan.FromMinutes(3));
        await stopChaos.CancelAsync();
        await chaos.WaitAsync(TimeSpan.FromSeconds(10));

        await fleet.WaitUntilCaughtUpAsync(cluster, TimeSpan.FromSeconds(60));
        Assert.Equal(Senders * SendsPerSender, load.Accepted);
        await ClusterReport.VerifyAsync(output, cluster, fleet, load, elapsed);
    }
}
