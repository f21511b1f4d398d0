namespace NotifyPush.Core.Presence;

/// <summary>One replica as the admin view shows it, reported with its presence heartbeat.</summary>
/// <param name="ReplicaId">The replica's presence id (new for every process).</param>
/// <param name="Host">The machine (container) name.</param>
/// <param name="Version">The server's version.</param>
/// <param name="StartedAt">When the process started.</param>
/// <param name="Sockets">Open sockets.</param>
/// <param name="Users">Users with an open socket.</param>
/// <param name="BackplaneConnected">Whether the backplane delivers what is published now.</param>
/// <param name="BackplaneState">The backplane's short state, e.g. <c>connected</c> or the last error.</param>
/// <param name="Store"><c>ok</c> when the store answered a ping, else <c>unavailable</c>.</param>
/// <param name="Draining">Whether the replica is shutting down.</param>
/// <param name="NotificationsAccepted">Notifications accepted by this replica since it started.</param>
/// <param name="NotificationsDelivered">Notification frames written to its sockets since it started.</param>
/// <param name="ReportedAt">When this was measured.</param>
/// <param name="EventStreams">How many of <paramref name="Sockets"/> are Server-Sent Events streams (0 from a replica that predates them).</param>
public sealed record ReplicaReport(
    string ReplicaId,
    string Host,
    string Version,
    DateTimeOffset StartedAt,
    int Sockets,
    int Users,
    bool BackplaneConnected,
    string BackplaneState,
    string Store,
    bool Draining,
    long NotificationsAccepted,
    long NotificationsDelivered,
    DateTimeOffset ReportedAt,
    int EventStreams = 0);
