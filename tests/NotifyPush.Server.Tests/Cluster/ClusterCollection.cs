namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// The cluster tests run one at a time and alone: each runs several replicas and a load on the two shared cores, and
/// their timings (drain windows, outages) should not stretch because another cluster runs beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
