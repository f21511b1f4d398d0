using NotifyPush.Core.Backplane;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Presence;

/// <summary>Measures this replica for the admin view (<see cref="ReplicaReport"/>).</summary>
public sealed class ReplicaReporter(
    ConnectionRegistry registry,
    INotificationBackplane backplane,
    INotificationStore store,
    DrainState replica,
    PresenceTracker tracker,
    NotifyPushMetrics metrics,
    TimeProvider timeProvider)
{
    private static readonly TimeSpan StorePingTimeout = TimeSpan.FromSeconds(2);
    private static readonly string ServerVersion = typeof(ReplicaReporter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    private readonly DateTimeOffset _startedAt = timeProvider.GetUtcNow();

    /// <summary>This replica now; pings the store (at most 2 s).</summary>
    public async Task<ReplicaReport> SnapshotAsync(CancellationToken cancellationToken)
    {
        string storeState;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StorePingTimeout);
            await store.PingAsync(timeout.Token).ConfigureAwait(false);
            storeState = "ok";
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Down, slow or failing in some other way: the admin view says so rather than failing itself.
            storeState = "unavailable";
        }

        var health = backplane.GetHealth();
        return new ReplicaReport(
            tracker.ReplicaId,
            Environment.MachineName,
            ServerVersion,
            _startedAt,
            registry.ConnectionCount,
            registry.UserCount,
            health.IsConnected,
            health.Description,
            storeState,
            replica.IsDraining,
            metrics.AcceptedTotal,
            metrics.DeliveredTotal,
            timeProvider.GetUtcNow(),
            registry.EventStreamCount);
    }
}
