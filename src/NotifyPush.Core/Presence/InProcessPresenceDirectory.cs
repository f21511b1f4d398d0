using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Presence;

/// <summary>
/// Presence of a single replica (the in-process backplane): online and socket counts are read from the registry as
/// they are; the last-seen time of a user whose sockets all closed is kept in memory for
/// <see cref="PresenceOptions.LastSeenRetentionDays"/>, and lost on restart.
/// </summary>
public sealed class InProcessPresenceDirectory(
    ConnectionRegistry registry,
    PresenceTracker tracker,
    ReplicaReporter status,
    IOptions<PresenceOptions> options,
    TimeProvider timeProvider) : BackgroundService, IPresenceDirectory
{
    // UTC ticks at which each offline user's last local socket closed (as the last flush saw it).
    private readonly ConcurrentDictionary<string, long> _lastSeen = new(StringComparer.Ordinal);
    private readonly TimeSpan _retention = TimeSpan.FromDays(options.Value.LastSeenRetentionDays);

    public Task<IReadOnlyList<UserPresence>> GetAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        // Users whose sockets closed since the last flush get their last-seen time now, not up to a flush later.
        Flush();
        var now = timeProvider.GetUtcNow();
        var result = new UserPresence[userIds.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var userId = userIds[i];
            var sockets = registry.GetConnections(userId).Length;
            DateTimeOffset? lastSeen = sockets > 0 ? now : _lastSeen.TryGetValue(userId, out var ticks) ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
            result[i] = new UserPresence(userId, sockets > 0, sockets, sockets > 0 ? 1 : 0, lastSeen);
        }

        return Task.FromResult<IReadOnlyList<UserPresence>>(result);
    }

    public async Task<IReadOnlyList<ReplicaReport>> GetReplicasAsync(CancellationToken cancellationToken) =>
        [await status.SnapshotAsync(cancellationToken).ConfigureAwait(false)];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.FlushIntervalMilliseconds), timeProvider);
        var nextPrune = timeProvider.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Flush();
                var now = timeProvider.GetUtcNow();
                if (now >= nextPrune)
                {
                    // Entries expire like the Redis directory's keys do, so the map holds the users seen within the
                    // retention, not every user ever seen.
                    var oldest = (now - _retention).UtcTicks;
                    foreach (var (userId, ticks) in _lastSeen)
                    {
                        if (ticks < oldest)
                        {
                            _lastSeen.TryRemove(new KeyValuePair<string, long>(userId, ticks));
                        }
                    }

                    nextPrune = now.AddMinutes(1);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Flush()
    {
        var changed = tracker.TakeChanged();
        if (changed.Count == 0)
        {
            return;
        }

        var now = timeProvider.GetUtcNow().UtcTicks;
        foreach (var userId in changed)
        {
            if (registry.GetConnections(userId).IsEmpty)
            {
                _lastSeen[userId] = now;
            }
            else
            {
                _lastSeen.TryRemove(userId, out _);
            }
        }
    }
}
