using System.Diagnostics;
using NotifyPush.Testing;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// The scale scenario's Sentinel topology: the tests' <see cref="RedisSentinelGroup"/> (a master, its replica and three
/// sentinels monitoring it with quorum 2, down-after 1 s, failover timeout 5 s, on free loopback ports, no
/// persistence), with a minute for each start-up step. The replicas connect through the sentinels with <c>serviceName</c>.
/// </summary>
internal sealed class RedisSentinelNodes(RedisSentinelGroup group) : IRedisTopology
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public string Name => "sentinel";

    public string Configuration => group.Configuration;

    public string Mode => "Standalone";

    public IReadOnlyCollection<int> ServerPids => group.ServerPids;

    public static async Task<RedisSentinelNodes> StartAsync(CancellationToken cancellationToken) =>
        new(await RedisSentinelGroup.StartAsync(startTimeout: Timeout).WaitAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>SIGKILLs the monitored master and waits until every sentinel names the replica as the master and it reports role:master.</summary>
    public async Task<(string Description, long PromotedTimestamp)> KillMasterAsync(CancellationToken cancellationToken)
    {
        await group.KillMasterAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await group.WaitUntilReplicaPromotedAsync(Timeout).WaitAsync(cancellationToken).ConfigureAwait(false);
        return ($"SIGKILL of the Sentinel-monitored master 127.0.0.1:{group.MasterPort}, replica {group.ReplicaPort} promoted", Stopwatch.GetTimestamp());
    }

    public void KillAll() => group.KillAll();

    public ValueTask DisposeAsync() => group.DisposeAsync();
}
