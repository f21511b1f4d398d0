using System.Diagnostics;
using NotifyPush.Testing;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// The scale scenario's Redis Cluster: the tests' <see cref="RedisClusterServer"/> (3 masters and 3 replicas on free
/// loopback ports, a 2 s node timeout, no persistence), with a minute for each start-up step.
/// </summary>
internal sealed class RedisClusterNodes(RedisClusterServer cluster) : IRedisTopology
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public string Name => "cluster";

    /// <summary>The seed nodes, as an operator gives them: the three nodes created as masters.</summary>
    public string Configuration => cluster.Configuration;

    public string Mode => "Cluster";

    public IReadOnlyCollection<int> ServerPids => cluster.ServerPids;

    public static async Task<RedisClusterNodes> StartAsync(CancellationToken cancellationToken) =>
        new(await RedisClusterServer.StartAsync(Timeout).WaitAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// SIGKILLs a live master that has an in-sync replica and waits until the replica is elected (or, when no election
    /// happened within four node timeouts, told to take over with <c>CLUSTER FAILOVER TAKEOVER</c>, as an operator
    /// would) and every live node reports <c>cluster_state:ok</c>.
    /// </summary>
    public async Task<(string Description, long PromotedTimestamp)> KillMasterAsync(CancellationToken cancellationToken)
    {
        var victim = await cluster.KillMasterAndAwaitFailoverAsync(Timeout).WaitAsync(cancellationToken).ConfigureAwait(false);
        var how = cluster.LastFailoverTakenOver ? "took over (CLUSTER FAILOVER TAKEOVER)" : "elected";
        return ($"SIGKILL of cluster master 127.0.0.1:{victim}, replica {cluster.LastPromotedPort} {how}", Stopwatch.GetTimestamp());
    }

    public void KillAll() => cluster.KillAll();

    public ValueTask DisposeAsync() => cluster.DisposeAsync();
}
