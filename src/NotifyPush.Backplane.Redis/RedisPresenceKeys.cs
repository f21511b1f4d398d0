using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// The one place where presence keys are built, under the deployment's prefix:
/// <c>{prefix}:presence:replicas</c> (sorted set: replica id, scored by when its heartbeat expires, in Unix ms),
/// <c>{prefix}:presence:replica:{replicaId}</c> (hash: user id to that replica's socket count, expiring with the
/// heartbeat), <c>{prefix}:presence:info:{replicaId}</c> (its state for the admin view, JSON, expiring likewise) and
/// <c>{prefix}:presence:seen:{userId}</c> (Unix ms of the user's last close, expiring after the
/// retention). Keys are only ever named, never matched, so a user id such as <c>*</c> is just bytes.
/// </summary>
internal sealed class RedisPresenceKeys(string prefix)
{
    private readonly string _replicaPrefix = prefix + ":presence:replica:";
    private readonly string _infoPrefix = prefix + ":presence:info:";
    private readonly byte[] _seenPrefix = RedisChannels.StrictUtf8.GetBytes(prefix + ":presence:seen:");

    public RedisKey Replicas { get; } = prefix + ":presence:replicas";

    public RedisKey Replica(string replicaId) => _replicaPrefix + replicaId;

    /// <summary>The replica's last <c>ReplicaReport</c> as JSON, expiring with its heartbeat.</summary>
    public RedisKey Info(string replicaId) => _infoPrefix + replicaId;

    /// <exception cref="System.Text.EncoderFallbackException">The user id is not valid UTF-16.</exception>
    public RedisKey Seen(string userId)
    {
        var id = RedisChannels.StrictUtf8.GetBytes(userId);
        var key = new byte[_seenPrefix.Length + id.Length];
        _seenPrefix.CopyTo(key, 0);
        id.CopyTo(key, _seenPrefix.Length);
        return key;
    }
}
