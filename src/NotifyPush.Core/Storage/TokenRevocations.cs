using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Storage;

/// <summary>
/// Users' token revocations ("every token issued before T is refused"), kept in the store and cached per replica for
/// <see cref="TokenRevocationOptions.RevocationCacheSeconds"/>, in at most
/// <see cref="TokenRevocationOptions.RevocationCacheMaxUsers"/> entries.
/// </summary>
/// <remarks>
/// <para>
/// How stale a cached value can be: the replica that revokes caches the new instant at once; a replica holding a
/// socket of the user drops its cached value when the sign-out that carries the revocation reaches it (the
/// dispatcher calls <see cref="Forget"/> before it closes the sockets); any other replica re-reads the store once its
/// cached value is <c>RevocationCacheSeconds</c> old. Absence is cached as well, which is what spares the store a
/// read per handshake during a reconnect storm.
/// </para>
/// <para>
/// A read that started before a <see cref="Forget"/> or a revocation must not put its older answer back: every
/// change bumps a generation, and a read caches its answer only if no change happened since it began.
/// </para>
/// </remarks>
public sealed class TokenRevocations
{
    private readonly ITokenRevocationStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _lifetime;
    private readonly int _capacity;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly CoalescedReads<DateTimeOffset?> _reads;
    private long _generation;

    // The most users one shared read asks for.
    private const int ReadBatch = 500;

    public TokenRevocations(ITokenRevocationStore store, IOptions<TokenRevocationOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _store = store;
        _timeProvider = timeProvider;
        _lifetime = TimeSpan.FromSeconds(options.Value.RevocationCacheSeconds);
        _capacity = options.Value.RevocationCacheMaxUsers;

        // Handshakes of users not cached share one store read (a reconnect storm onto a just-started replica caches
        // nobody): one query per batch instead of one each.
        _reads = new CoalescedReads<DateTimeOffset?>(
            async userIds =>
            {
                var instants = await store.GetTokensRevokedBeforeAsync(userIds, CancellationToken.None).ConfigureAwait(false);
                return instants.ToDictionary(static pair => pair.Key, static pair => (DateTimeOffset?)pair.Value, StringComparer.Ordinal);
            },
            ReadBatch);
    }

    /// <summary>Users whose state is cached now (for tests and diagnostics).</summary>
    public int CachedUsers => _cache.Count;

    /// <summary>
    /// The instant before which the user's tokens are revoked, or null: from the cache while it is fresh, else from
    /// the store. Throws <see cref="StoreUnavailableException"/> when the store must be read and cannot be.
    /// </summary>
    public async ValueTask<DateTimeOffset?> GetRevokedBeforeAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);

        // Taken before the read, so the entry ages from a moment when the store held at least this answer.
        var started = _timeProvider.GetTimestamp();
        if (_cache.TryGetValue(userId, out var cached) && _timeProvider.GetElapsedTime(cached.ReadAt, started) < _lifetime)
        {
            return cached.RevokedBefore;
        }

        var generation = Volatile.Read(ref _generation);
        var revokedBefore = await _reads.ReadAsync(userId, cancellationToken).ConfigureAwait(false);
        Remember(userId, new Entry(revokedBefore, started), generation);
        return revokedBefore;
    }

    /// <summary>
    /// Revokes every token of the user issued before now, in the store, and applies it to this replica at once.
    /// Returns the instant in force. Throws <see cref="StoreUnavailableException"/> when the store cannot take it.
    /// </summary>
    public async Task<DateTimeOffset> RevokeAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var inForce = await _store.RevokeTokensAsync(userId, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _generation);
        _cache[userId] = new Entry(inForce, _timeProvider.GetTimestamp());
        return inForce;
    }

    /// <summary>Drops the user's cached state (a sign-out, which may carry a revocation, arrived): the next check reads the store.</summary>
    public void Forget(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        Interlocked.Increment(ref _generation);
        _cache.TryRemove(userId, out _);
    }

    private void Remember(string userId, Entry entry, long generation)
    {
        if (_lifetime <= TimeSpan.Zero || Volatile.Read(ref _generation) != generation)
        {
            return;
        }

        if (_cache.Count >= _capacity && !_cache.ContainsKey(userId) && !MakeRoom(entry.ReadAt))
        {
            return;
        }

        _cache[userId] = entry;

        // A change between the check above and the write: take the possibly older answer out again.
        if (Volatile.Read(ref _generation) != generation)
        {
            _cache.TryRemove(new KeyValuePair<string, Entry>(userId, entry));
        }
    }

    // Runs only when the cache is full: drops the entries that are stale anyway. When none are, the new value is
    // simply not cached; a full cache of fresh entries means the store is read more, never that a value lives longer.
    private bool MakeRoom(long now)
    {
        foreach (var (userId, entry) in _cache)
        {
            if (_timeProvider.GetElapsedTime(entry.ReadAt, now) >= _lifetime)
            {
                _cache.TryRemove(new KeyValuePair<string, Entry>(userId, entry));
            }
        }

        return _cache.Count < _capacity;
    }

    private sealed record Entry(DateTimeOffset? RevokedBefore, long ReadAt);
}
