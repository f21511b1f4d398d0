namespace NotifyPush.Core.Storage;

/// <summary>
/// The mailbox: durable per-user streams of notifications. Every implementation passes the
/// store specification suite (tests/NotifyPush.Specification.Tests).
/// </summary>
/// <remarks>
/// Guarantees the delivery engine relies on:
/// seq is assigned inside the inserting transaction from a per-user counter, so for one user
/// seq order is commit order and once seq N is visible every seq below N is visible too
/// (unless removed by retention). Transient failures surface as <see cref="StoreUnavailableException"/>.
/// </remarks>
public interface INotificationStore
{
    /// <summary>Creates or upgrades the schema. Safe to call from several processes at once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores one notification per user id in a single transaction and returns them with their seq.
    /// With an idempotency key already used by the same caller: returns the original notifications
    /// (<see cref="AppendResult.IsReplay"/>) when the request hash matches, otherwise throws
    /// <see cref="IdempotencyConflictException"/>.
    /// </summary>
    /// <remarks>
    /// A key is remembered apart from the notifications, in the same transaction that stores them, together with the
    /// original result (user id, id and seq of each); it outlives their delivery, expiry and cleanup until
    /// <see cref="CleanupIdempotencyKeysAsync"/> removes it. A replay carries the original ids, seqs and times, and
    /// the type and payload of the retry, which are the original's since the request hash matched.
    /// </remarks>
    Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken);

    /// <summary>Notifications of one user with seq greater than <paramref name="afterSeq"/>, oldest first, not expired at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<StoredNotification>> ReadAsync(string userId, long afterSeq, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The counters of one user's stream; <see cref="UserStreamState.Empty"/> for an unknown user.</summary>
    Task<UserStreamState> GetStreamStateAsync(string userId, CancellationToken cancellationToken);

    /// <summary>
    /// The counters of each given user's stream, in one query where the store can: users the store has never seen are
    /// left out (their state is <see cref="UserStreamState.Empty"/>). Handshakes in flight at once share one such read
    /// (<see cref="CoalescedReads{TValue}"/>); the caller bounds the batch. By default one
    /// <see cref="GetStreamStateAsync"/> per user, for a store where a round trip costs little.
    /// </summary>
    async Task<IReadOnlyDictionary<string, UserStreamState>> GetStreamStatesAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var states = new Dictionary<string, UserStreamState>(userIds.Count, StringComparer.Ordinal);
        foreach (var userId in userIds)
        {
            var state = await GetStreamStateAsync(userId, cancellationToken).ConfigureAwait(false);
            if (state != UserStreamState.Empty)
            {
                states[userId] = state;
            }
        }

        return states;
    }

    /// <summary>
    /// The head (<see cref="UserStreamState.LastSeq"/>) of each given user's stream, in one query: users the store has
    /// never seen are left out (their head is 0). The position check calls it with a batch of the users this replica
    /// holds sockets for; the caller bounds the batch.
    /// </summary>
    Task<IReadOnlyDictionary<string, long>> GetStreamHeadsAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken);

    /// <summary>Raises each user's acknowledged seq to the given one (never lowers it, never above the last seq).</summary>
    Task AcknowledgeAsync(IReadOnlyCollection<StreamAck> acks, CancellationToken cancellationToken);

    /// <summary>
    /// Removes up to <paramref name="batchSize"/> rows that are expired at <paramref name="now"/>, or acknowledged
    /// and older than <paramref name="deliveredRetention"/>, and raises each affected user's pruned seq.
    /// </summary>
    Task<CleanupResult> CleanupAsync(DateTimeOffset now, TimeSpan deliveredRetention, int batchSize, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets up to <paramref name="batchSize"/> idempotency keys whose original request was accepted more than
    /// <paramref name="window"/> before <paramref name="now"/>; a key exactly <paramref name="window"/> old is kept.
    /// A forgotten key is new again. Notifications are not touched.
    /// </summary>
    Task<CleanupResult> CleanupIdempotencyKeysAsync(DateTimeOffset now, TimeSpan window, int batchSize, CancellationToken cancellationToken);

    /// <summary>Round-trips to the store; throws <see cref="StoreUnavailableException"/> when it cannot.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
