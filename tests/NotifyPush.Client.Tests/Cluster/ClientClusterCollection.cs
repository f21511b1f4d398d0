namespace NotifyPush.Client.Tests.Cluster;

/// <summary>The client's multi-replica tests run one at a time: each starts replicas on the two shared cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClientClusterCollection
{
    public const string Name = "ClientCluster";
}
