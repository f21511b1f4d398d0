using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Core.Options;

/// <summary>Presence: how replicas publish their users and how long a dead replica keeps counting. Section <c>NotifyPush:Presence</c>.</summary>
public sealed class PresenceOptions
{
    public const string SectionName = "NotifyPush:Presence";

    /// <summary>How often a replica writes the users whose sockets opened or closed, in milliseconds. Default 1000.</summary>
    [Range(50, 60_000)]
    public int FlushIntervalMilliseconds { get; set; } = 1000;

    /// <summary>How often a replica renews its heartbeat, in seconds. Default 5.</summary>
    [Range(1, 3600)]
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>
    /// How long a replica's users count after its last heartbeat, in seconds: the bound within which a killed
    /// replica's sockets stop counting. Must exceed <see cref="HeartbeatSeconds"/>. Default 15.
    /// </summary>
    [Range(2, 86_400)]
    public int TimeoutSeconds { get; set; } = 15;

    /// <summary>How long a user's last-seen time is kept after their last socket closed, in days. Default 30.</summary>
    [Range(1, 3650)]
    public int LastSeenRetentionDays { get; set; } = 30;
}
