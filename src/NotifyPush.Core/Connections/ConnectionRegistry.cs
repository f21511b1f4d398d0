using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Protocol;

namespace NotifyPush.Core.Connections;

/// <summary>
/// This replica's sockets, indexed by user id, so sending to a user never scans other users' sockets
/// (Centrifuge's hub <c>users</c> index). Owns the per-user backplane subscription, reference-counted like
/// SignalR's RedisSubscriptionManager: subscribe with the first socket, unsubscribe after the last.
/// </summary>
/// <remarks>
/// Admission is one step (<see cref="TryAdmitAsync"/>): draining, the replica's socket cap and the user's socket cap
/// are decided here, with the counts they depend on, so two handshakes can never both take the last place.
/// </remarks>
public sealed partial class ConnectionRegistry(
    INotificationBackplane backplane,
    DrainState replica,
    IOptions<ConnectionOptions> options,
    ILogger<ConnectionRegistry> logger,
    IUserSocketCountObserver? socketCounts = null) : ILocalRecipients
{
    private readonly ConcurrentDictionary<string, UserConnections> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<NotificationConnection, byte> _all = new();
    private readonly int _maxSocketsPerUser = options.Value.MaxSocketsPerUser;
    private readonly int _maxSockets = options.Value.MaxSockets > 0 ? options.Value.MaxSockets : int.MaxValue;

    // Slots taken on this replica, upgrades in progress included: what the replica's socket cap counts.
    private int _admittedCount;

    // ConcurrentDictionary.Count takes every lock of the dictionary; handshakes read the count to enforce the
    // replica's socket cap, so it is kept beside it.
    private int _connectionCount;
    private int _eventStreamCount;

    /// <summary>Open sockets on this replica.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>How many of <see cref="ConnectionCount"/> are Server-Sent Events streams rather than WebSockets.</summary>
    public int EventStreamCount => Volatile.Read(ref _eventStreamCount);

    /// <summary>Users with at least one socket (or upgrade in progress) on this replica.</summary>
    public int UserCount => _users.Count;

    /// <summary>
    /// Admits a new socket of <paramref name="userId"/>, or says why not: the replica is draining, holds its maximum
    /// of sockets (<see cref="ConnectionOptions.MaxSockets"/>), or the user holds theirs here
    /// (<see cref="ConnectionOptions.MaxSocketsPerUser"/>). An admitted socket holds a slot until it is disposed; the
    /// replica subscribes to the user's messages with the first, so when this returns, messages published for the
    /// user reach <see cref="GetConnections"/>.
    /// </summary>
    public async ValueTask<Admission> TryAdmitAsync(string userId, CancellationToken cancellationToken)
    {
        if (replica.IsDraining)
        {
            return new Admission(null, AdmissionRefusal.Draining);
        }

        if (Interlocked.Increment(ref _admittedCount) > _maxSockets)
        {
            Interlocked.Decrement(ref _admittedCount);
            return new Admission(null, AdmissionRefusal.ReplicaFull);
        }

        RegistrySlot? slot = null;
        try
        {
            slot = await TryReserveUserSlotAsync(userId, cancellationToken).ConfigureAwait(false);
            return slot is null ? new Admission(null, AdmissionRefusal.UserFull) : new Admission(slot, AdmissionRefusal.None);
        }
        finally
        {
            if (slot is null)
            {
                Interlocked.Decrement(ref _admittedCount);
            }
        }
    }

    private async ValueTask<RegistrySlot?> TryReserveUserSlotAsync(string userId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var entry = _users.GetOrAdd(userId, static id => new UserConnections(id));
            await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (entry.Retired)
                {
                    // The last socket of the user left between GetOrAdd and the gate: take the fresh entry.
                    continue;
                }

                if (entry.Reserved >= _maxSocketsPerUser)
                {
                    Log.SocketLimitReached(logger, userId, _maxSocketsPerUser);
                    return null;
                }

                if (entry.Reserved == 0)
                {
                    await backplane.SubscribeAsync(userId, cancellationToken).ConfigureAwait(false);
                }

                entry.Reserved++;
                return new RegistrySlot(this, entry);
            }
            finally
            {
                entry.Gate.Release();
            }
        }
    }

    /// <summary>The local sockets of a user; empty when the user has none here. Lock-free.</summary>
    public ReadOnlySpan<NotificationConnection> GetConnections(string userId) =>
        _users.TryGetValue(userId, out var entry) ? entry.Connections : [];

    /// <inheritdoc/>
    public ReadOnlySpan<INotificationRecipient> GetRecipients(string userId) =>
        _users.TryGetValue(userId, out var entry) ? new ReadOnlySpan<INotificationRecipient>(entry.Connections) : [];

    /// <inheritdoc/>
    public IEnumerable<INotificationRecipient> GetAllRecipients() => GetAllConnections();

    /// <summary>
    /// Every socket on this replica (for heartbeats, catch-up and draining). Enumerates the live index without
    /// locking or copying it (<c>Keys</c> would lock every bucket and copy 18,000 references four times a second);
    /// sockets added or removed meanwhile may or may not be seen.
    /// </summary>
    public IEnumerable<NotificationConnection> GetAllConnections()
    {
        foreach (var pair in _all)
        {
            yield return pair.Key;
        }
    }

    /// <summary>Every user with an open socket here (warm-up sockets aside) and how many; a weakly consistent snapshot, like <see cref="GetAllConnections"/>.</summary>
    public IEnumerable<KeyValuePair<string, int>> GetUserSocketCounts()
    {
        foreach (var (userId, entry) in _users)
        {
            // A warm-up user's sockets are all warm-up sockets (its id is the warm-up's own).
            var connections = entry.Connections;
            var count = connections.Length;
            if (count > 0 && !connections[0].IsWarmUp)
            {
                yield return new KeyValuePair<string, int>(userId, count);
            }
        }
    }

    internal void Attach(UserConnections entry, NotificationConnection connection)
    {
        if (_all.TryAdd(connection, 0))
        {
            Interlocked.Increment(ref _connectionCount);
            if (IsEventStream(connection))
            {
                Interlocked.Increment(ref _eventStreamCount);
            }
        }

        entry.Add(connection);
        if (!connection.IsWarmUp)
        {
            socketCounts?.Changed(entry.UserId);
        }

        // Draining may have begun after this socket was admitted and before the drain listed the sockets: then it
        // did not see this one, and the socket closes itself the same way.
        Interlocked.MemoryBarrier();
        if (replica.IsDraining)
        {
            connection.RequestClose(CloseCodes.ServiceRestart, "server restarting");
        }
    }

    internal async ValueTask ReleaseAsync(UserConnections entry, NotificationConnection? connection)
    {
        Interlocked.Decrement(ref _admittedCount);
        if (connection is not null)
        {
            entry.Remove(connection);
            if (_all.TryRemove(connection, out _))
            {
                Interlocked.Decrement(ref _connectionCount);
                if (IsEventStream(connection))
                {
                    Interlocked.Decrement(ref _eventStreamCount);
                }
            }

            if (!connection.IsWarmUp)
            {
                socketCounts?.Changed(entry.UserId);
            }
        }

        // Not cancellable: a slot must always be returned, or the user's subscription would leak.
        await entry.Gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            entry.Reserved--;
            if (entry.Reserved > 0)
            {
                return;
            }

            entry.Retired = true;
            try
            {
                await backplane.UnsubscribeAsync(entry.UserId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The backplane contract says an outage does not throw; anything else must not leak the slot.
                Log.UnsubscribeFailed(logger, ex, entry.UserId);
            }

            // Only now may a new socket of the user find a fresh entry and subscribe. Removed before the
            // unsubscribe, a reserve in between would subscribe (a no-op: still subscribed) and this unsubscribe
            // would then leave its socket without live messages until it reconnects. Meanwhile a reserve waits on
            // this entry's gate and then sees it retired.
            _users.TryRemove(new KeyValuePair<string, UserConnections>(entry.UserId, entry));
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    private static bool IsEventStream(NotificationConnection connection) =>
        !string.Equals(connection.Transport, WebSocketTransport.TransportName, StringComparison.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.SocketLimitReached, LogLevel.Information, "User {UserId} already holds {MaxSockets} sockets on this replica; refusing another with 429.")]
        public static partial void SocketLimitReached(ILogger logger, string userId, int maxSockets);

        [LoggerMessage(NotifyPushEventIds.UnsubscribeFailed, LogLevel.Warning, "Unsubscribing user {UserId} from the backplane failed.")]
        public static partial void UnsubscribeFailed(ILogger logger, Exception exception, string userId);
    }
}
