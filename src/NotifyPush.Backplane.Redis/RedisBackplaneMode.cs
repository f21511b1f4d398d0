namespace NotifyPush.Backplane.Redis;

/// <summary>How the Redis behind the backplane is deployed (<c>NotifyPush:Backplane:Mode</c>).</summary>
public enum RedisBackplaneMode
{
    /// <summary>One Redis (with or without replicas): classic PUBLISH/SUBSCRIBE, multi-key reads. The default.</summary>
    Standalone = 0,

    /// <summary>
    /// A Redis Cluster (Redis 7 or newer): per-user channels are shard channels (SPUBLISH/SSUBSCRIBE), so a publish
    /// travels within the one shard that owns the user's slot instead of to every node, and no command touches keys
    /// of more than one slot.
    /// </summary>
    Cluster = 1,
}
