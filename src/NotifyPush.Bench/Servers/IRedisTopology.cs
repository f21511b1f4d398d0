using System.Diagnostics;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// A Redis deployment the scale scenario starts for its replicas' backplane (a Redis Cluster, or Sentinel with a
/// master and a replica): how the replicas are configured for it, its processes' CPU, and its fault.
/// </summary>
internal interface IRedisTopology : IAsyncDisposable
{
    /// <summary><c>cluster</c> or <c>sentinel</c>.</summary>
    string Name { get; }

    /// <summary>The replicas' <c>NotifyPush:Backplane:Configuration</c>.</summary>
    string Configuration { get; }

    /// <summary>The replicas' <c>NotifyPush:Backplane:Mode</c>.</summary>
    string Mode { get; }

    /// <summary>The pids of every live redis-server (not the sentinels), for CPU readings.</summary>
    IReadOnlyCollection<int> ServerPids { get; }

    /// <summary>
    /// SIGKILLs a master and returns once its replica is promoted and serving; the description names what was killed.
    /// The returned timestamp (<see cref="Stopwatch"/>) is when the promotion was seen.
    /// </summary>
    Task<(string Description, long PromotedTimestamp)> KillMasterAsync(CancellationToken cancellationToken);

    /// <summary>Kills every process at once (the deadline's hard stop).</summary>
    void KillAll();
}
