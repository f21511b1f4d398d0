namespace NotifyPush.Core.Presence;

/// <summary>
/// Answers "is this user online" for the whole cluster: the in-process directory on a single replica, the Redis one
/// across replicas. Every replica publishes its own users (<see cref="PresenceTracker"/>); a replica that dies stops
/// counting once its heartbeat expires.
/// </summary>
public interface IPresenceDirectory
{
    /// <summary>The presence of each user, in the order given.</summary>
    /// <exception cref="PresenceUnavailableException">The directory cannot answer now (Redis is down).</exception>
    Task<IReadOnlyList<UserPresence>> GetAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken);

    /// <summary>Every live replica (this one measured now, the others as of their last heartbeat).</summary>
    /// <exception cref="PresenceUnavailableException">The others cannot be read now (Redis is down).</exception>
    Task<IReadOnlyList<ReplicaReport>> GetReplicasAsync(CancellationToken cancellationToken);
}
