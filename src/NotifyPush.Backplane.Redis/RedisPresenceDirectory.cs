using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Presence;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// Cluster-wide presence in Redis, over the process's <see cref="RedisConnection"/>. Each replica writes its own users' socket counts
/// to a hash of its own and renews a heartbeat; a lookup adds up the hashes of the replicas whose heartbeat has not
/// expired. A killed replica therefore stops counting at most <see cref="PresenceOptions.TimeoutSeconds"/> after its
/// last heartbeat, and its hash expires with it: nothing grows without bound.
/// </summary>
/// <remarks>
/// Handshakes never wait for Redis: the registry marks users (<see cref="PresenceTracker"/>) and this writes the marks
/// every <see cref="PresenceOptions.FlushIntervalMilliseconds"/> in one pipeline. After a failed write or a Redis
/// restart (the hash is gone) the whole local snapshot is written again. While Redis is down lookups fail fast with
/// <see cref="PresenceUnavailableException"/>; delivery does not depend on any of this.
/// </remarks>
public sealed partial class RedisPresenceDirectory : BackgroundService, IPresenceDirectory
{
    private readonly RedisConnection _connection;
    private readonly ConnectionRegistry _registry;
    private readonly PresenceTracker _tracker;
    private readonly ReplicaReporter _status;
    private readonly PresenceOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly RedisPresenceKeys _keys;
    private readonly RedisKey _ownHash;
    private readonly LogOnce _writes = new();

    // Written by the flush loop only.
    private bool _snapshotOwed = true;
    private DateTimeOffset _nextHeartbeat;

    public RedisPresenceDirectory(
        RedisConnection connection,
        ConnectionRegistry registry,
        PresenceTracker tracker,
        ReplicaReporter status,
        IOptions<PresenceOptions> options,
        TimeProvider timeProvider,
        ILogger<RedisPresenceDirectory> logger)
    {
        _connection = connection;
        _registry = registry;
        _tracker = tracker;
        _status = status;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _keys = new RedisPresenceKeys(connection.Prefix);
        _ownHash = _keys.Replica(tracker.ReplicaId);
    }

    private TimeSpan Timeout => TimeSpan.FromSeconds(_options.TimeoutSeconds);

    private TimeSpan LastSeenRetention => TimeSpan.FromDays(_options.LastSeenRetentionDays);

    public async Task<IReadOnlyList<UserPresence>> GetAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        var multiplexer = _connection.Multiplexer;
        if (multiplexer is null || !multiplexer.IsConnected)
        {
            throw new PresenceUnavailableException("Redis, which holds presence, is not connected.");
        }

        var now = _timeProvider.GetUtcNow();
        try
        {
            var database = multiplexer.GetDatabase();
            var fields = new RedisValue[userIds.Count];
            var seenKeys = new RedisKey[userIds.Count];
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = userIds[i];
                seenKeys[i] = _keys.Seen(userIds[i]);
            }

            // The live replicas first, then one pipeline: an HMGET per live replica and one MGET of last-seen times.
            var live = await database.SortedSetRangeByScoreAsync(_keys.Replicas, now.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            var counts = new Task<RedisValue[]>[live.Length];
            for (var r = 0; r < live.Length; r++)
            {
                counts[r] = database.HashGetAsync(_keys.Replica(live[r].ToString()), fields);
            }

            var seen = GetStringsAsync(multiplexer, database, seenKeys);
            await Task.WhenAll([.. counts, seen]).WaitAsync(cancellationToken).ConfigureAwait(false);

            var result = new UserPresence[userIds.Count];
            for (var i = 0; i < result.Length; i++)
            {
                int sockets = 0, replicas = 0;
                foreach (var replica in counts)
                {
                    if (replica.Result[i].TryParse(out int count) && count > 0)
                    {
                        sockets += count;
                        replicas++;
                    }
                }

                DateTimeOffset? lastSeen = sockets > 0 ? now
                    : !seen.Result[i].IsNull && seen.Result[i].TryParse(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
                result[i] = new UserPresence(userIds[i], sockets > 0, sockets, replicas, lastSeen);
            }

            return result;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever the client throws (a timeout, a connection torn down mid-read): presence is unavailable, a 503.
            throw new PresenceUnavailableException("Reading presence from Redis failed.", ex);
        }
    }

    public async Task<IReadOnlyList<ReplicaReport>> GetReplicasAsync(CancellationToken cancellationToken)
    {
        var own = await _status.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var multiplexer = _connection.Multiplexer;
        if (multiplexer is null || !multiplexer.IsConnected)
        {
            throw new PresenceUnavailableException("Redis, which holds the other replicas' state, is not connected.");
        }

        try
        {
            var database = multiplexer.GetDatabase();
            var live = await database.SortedSetRangeByScoreAsync(_keys.Replicas, _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            var others = live.Select(static id => id.ToString()).Where(id => id != _tracker.ReplicaId).ToArray();
            var infos = others.Length == 0 ? [] : await GetStringsAsync(multiplexer, database, [.. others.Select(_keys.Info)]).WaitAsync(cancellationToken).ConfigureAwait(false);
            var replicas = new List<ReplicaReport> { own };
            foreach (var json in infos)
            {
                if (!json.IsNullOrEmpty && JsonSerializer.Deserialize<ReplicaReport>(json.ToString(), JsonSerializerOptions.Web) is { } info)
                {
                    replicas.Add(info);
                }
            }

            return replicas;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PresenceUnavailableException("Reading the replicas from Redis failed.", ex);
        }
    }

    /// <summary>
    /// The values of <paramref name="keys"/>, in their order: one MGET on a single Redis; on a Redis Cluster, where a
    /// command may only touch keys of one slot, one MGET per slot, all sent before any is awaited (still one round
    /// trip per node).
    /// </summary>
    private async Task<RedisValue[]> GetStringsAsync(ConnectionMultiplexer multiplexer, IDatabaseAsync database, RedisKey[] keys)
    {
        if (!_connection.IsCluster)
        {
            return await database.StringGetAsync(keys).ConfigureAwait(false);
        }

        var slots = new Dictionary<int, List<int>>();
        for (var i = 0; i < keys.Length; i++)
        {
            var slot = multiplexer.HashSlot(keys[i]);
            if (!slots.TryGetValue(slot, out var indexes))
            {
                slots[slot] = indexes = [];
            }

            indexes.Add(i);
        }

        var reads = slots.Values
            .Select(indexes => (indexes, read: database.StringGetAsync([.. indexes.Select(i => keys[i])])))
            .ToList();
        await Task.WhenAll(reads.Select(static r => r.read)).ConfigureAwait(false);
        var values = new RedisValue[keys.Length];
        foreach (var (indexes, read) in reads)
        {
            var slotValues = read.Result;
            for (var j = 0; j < indexes.Count; j++)
            {
                values[indexes[j]] = slotValues[j];
            }
        }

        return values;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.FlushIntervalMilliseconds), _timeProvider);
        try
        {
            do
            {
                await FlushAsync().ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // Leave at once rather than when the heartbeat expires: this replica's users are last seen now.
        var multiplexer = _connection.Multiplexer;
        if (multiplexer is null || !multiplexer.IsConnected)
        {
            return;
        }

        try
        {
            var batch = multiplexer.GetDatabase().CreateBatch();
            var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            var writes = new List<Task>();
            foreach (var (userId, _) in _registry.GetUserSocketCounts())
            {
                writes.Add(batch.StringSetAsync(_keys.Seen(userId), now, LastSeenRetention));
            }

            writes.Add(batch.SortedSetRemoveAsync(_keys.Replicas, _tracker.ReplicaId));
            if (_connection.IsCluster)
            {
                // Two slots: one DEL each.
                writes.Add(batch.KeyDeleteAsync(_ownHash));
                writes.Add(batch.KeyDeleteAsync(_keys.Info(_tracker.ReplicaId)));
            }
            else
            {
                writes.Add(batch.KeyDeleteAsync([_ownHash, _keys.Info(_tracker.ReplicaId)]));
            }

            batch.Execute();
            await Task.WhenAll(writes).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Best effort while everything shuts down (the multiplexer may be closing under it): the heartbeat expires
            // on its own, and a shutdown must not fail for this.
            Log.LeaveFailed(_logger, ex);
        }
    }

    /// <summary>Writes the marked users (or the whole snapshot when one is owed) and renews the heartbeat when due.</summary>
    internal async Task FlushAsync()
    {
        try
        {
            await FlushCoreAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Never out of the loop: a BackgroundService that throws stops the host. Whatever failed (users already
            // taken from the tracker included), the whole snapshot is written again next time.
            _snapshotOwed = true;
            if (_writes.Fail())
            {
                Log.WriteFailed(_logger, ex);
            }
        }
    }

    private async Task FlushCoreAsync()
    {
        var multiplexer = _connection.Multiplexer;
        if (multiplexer is null || !multiplexer.IsConnected)
        {
            // Redis may come back empty (a restart): write everything then.
            _snapshotOwed = true;
            return;
        }

        var now = _timeProvider.GetUtcNow();
        var changed = _tracker.TakeChanged();
        var snapshot = _snapshotOwed;
        var heartbeat = snapshot || now >= _nextHeartbeat;
        if (changed.Count == 0 && !heartbeat)
        {
            return;
        }

        // The admin view's state of this replica rides on the heartbeat.
        var info = heartbeat ? JsonSerializer.Serialize(await _status.SnapshotAsync(CancellationToken.None).ConfigureAwait(false), JsonSerializerOptions.Web) : null;

        var batch = multiplexer.GetDatabase().CreateBatch();
        var writes = new List<Task>();
        var nowMs = now.ToUnixTimeMilliseconds();
        if (snapshot)
        {
            var all = _registry.GetUserSocketCounts().Select(static u => new HashEntry(u.Key, u.Value)).ToArray();
            writes.Add(batch.KeyDeleteAsync(_ownHash));
            if (all.Length > 0)
            {
                writes.Add(batch.HashSetAsync(_ownHash, all));
            }
        }

        // One HSET for every user still here and one HDEL for those who left: a connect burst of thousands of users
        // costs two commands a flush, not one per user.
        var present = new List<HashEntry>(changed.Count);
        var gone = new List<RedisValue>();
        foreach (var userId in changed)
        {
            var sockets = _registry.GetConnections(userId).Length;
            if (sockets > 0)
            {
                present.Add(new HashEntry(userId, sockets));
            }
            else
            {
                gone.Add(userId);
                writes.Add(batch.StringSetAsync(_keys.Seen(userId), nowMs, LastSeenRetention));
            }
        }

        if (present.Count > 0)
        {
            writes.Add(batch.HashSetAsync(_ownHash, [.. present]));
        }

        if (gone.Count > 0)
        {
            writes.Add(batch.HashDeleteAsync(_ownHash, [.. gone]));
        }

        // The hash expires with the heartbeat, so a killed replica's hash goes too; renewed with every write, since a
        // write may have created it.
        writes.Add(batch.KeyExpireAsync(_ownHash, Timeout));
        if (heartbeat)
        {
            writes.Add(batch.SortedSetAddAsync(_keys.Replicas, _tracker.ReplicaId, (now + Timeout).ToUnixTimeMilliseconds()));
            writes.Add(batch.StringSetAsync(_keys.Info(_tracker.ReplicaId), info, Timeout));
            writes.Add(batch.SortedSetRemoveRangeByScoreAsync(_keys.Replicas, double.NegativeInfinity, nowMs));
        }

        batch.Execute();
        try
        {
            await Task.WhenAll(writes).ConfigureAwait(false);
            _snapshotOwed = false;
            if (heartbeat)
            {
                _nextHeartbeat = now.AddSeconds(_options.HeartbeatSeconds);
            }

            if (_writes.Succeed())
            {
                Log.WritesRecovered(_logger);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Whatever was not written is rewritten with the whole snapshot next time.
            _snapshotOwed = true;
            if (_writes.Fail())
            {
                Log.WriteFailed(_logger, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.RedisPresenceWriteFailed, LogLevel.Warning, "Writing presence to Redis failed; this replica's users are written again when Redis answers.")]
        public static partial void WriteFailed(ILogger logger, Exception exception);

        [LoggerMessage(NotifyPushEventIds.RedisPresenceWritesRecovered, LogLevel.Information, "Presence is written to Redis again.")]
        public static partial void WritesRecovered(ILogger logger);

        [LoggerMessage(NotifyPushEventIds.RedisPresenceLeaveFailed, LogLevel.Information, "Removing this replica from presence at shutdown failed; its heartbeat expires on its own.")]
        public static partial void LeaveFailed(ILogger logger, Exception exception);
    }
}
