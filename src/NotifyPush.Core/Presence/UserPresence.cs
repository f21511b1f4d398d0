namespace NotifyPush.Core.Presence;

/// <summary>Whether a user has open sockets anywhere in the cluster, and when they were last seen.</summary>
/// <param name="UserId">The user.</param>
/// <param name="Online">True while at least one socket of the user is open on a live replica.</param>
/// <param name="Sockets">Open sockets of the user, over every live replica.</param>
/// <param name="Replicas">Live replicas holding at least one of them.</param>
/// <param name="LastSeenAt">Now-ish while online (the presence was read); else when the user's last socket closed, or null when that is unknown (never seen, or longer ago than the retention).</param>
public sealed record UserPresence(string UserId, bool Online, int Sockets, int Replicas, DateTimeOffset? LastSeenAt);
