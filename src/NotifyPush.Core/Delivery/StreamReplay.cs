using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>
/// Reads a user's stream for one socket: where its replay starts, and the stored notifications after a seq, page by
/// page, so that a backlog of any length never sits in memory. Replay on connect, gap fill and catch-up all use it.
/// </summary>
/// <remarks>
/// Every store read made here takes a permit of one budget of <see cref="DeliveryOptions.MaxConcurrentReplayReads"/>
/// for the time of that one query (never while a page is written to a socket, or a slow client would hold it). The
/// sends share the store's connection pool but not this budget: however many sockets replay at once, at most that many
/// pooled connections serve them, and the rest of the pool stays free for sends.
/// </remarks>
public sealed class StreamReplay(INotificationStore store, IOptions<DeliveryOptions> options, TimeProvider timeProvider)
{
    private readonly int _pageSize = options.Value.ReplayPageSize;
    private readonly int _maxReplayCount = options.Value.MaxReplayCount;

    // The most users one shared read of stream states asks for.
    private const int StateReadBatch = 500;

    // Waiters queue in arrival order; each one is a socket in its replay, so their number is bounded by the sockets.
    private readonly SemaphoreSlim _reads = new(options.Value.MaxConcurrentReplayReads, options.Value.MaxConcurrentReplayReads);

    private CoalescedReads<UserStreamState>? _states;

    // The sockets starting or filling a gap at the same moment share one read of their streams' states (a reconnect
    // storm's handshakes: one query per batch instead of one each). It takes one permit of the budget per batch.
    private CoalescedReads<UserStreamState> States => LazyInitializer.EnsureInitialized(ref _states, () => new CoalescedReads<UserStreamState>(
        async userIds =>
        {
            await _reads.WaitAsync().ConfigureAwait(false);
            try
            {
                return await store.GetStreamStatesAsync(userIds, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _reads.Release();
            }
        },
        StateReadBatch));

    /// <summary>
    /// Where the replay of a new socket starts. With <c>since</c>, everything the store holds after it is replayed,
    /// however much that is. Without it, what the user has not acknowledged, but at most
    /// <see cref="DeliveryOptions.MaxReplayCount"/> (the newest); older ones are skipped with recovered false.
    /// </summary>
    public async Task<ReplayStart> StartAsync(string userId, ResumePoint resume, CancellationToken cancellationToken)
    {
        var state = await States.ReadAsync(userId, cancellationToken).ConfigureAwait(false);

        long resumeAfter;
        bool recovered;
        if (resume.Since is { } since)
        {
            // A position ahead of the store means the client's state is not from this stream (for example a
            // restored database); resume from the stream's end and tell it recovery was not possible.
            resumeAfter = Math.Min(since, state.LastSeq);
            recovered = since <= state.LastSeq;
        }
        else
        {
            resumeAfter = Math.Min(state.AckedSeq, state.LastSeq);
            recovered = true;
            if (state.LastSeq - resumeAfter > _maxReplayCount)
            {
                resumeAfter = state.LastSeq - _maxReplayCount;
                recovered = false;
            }
        }

        if (resumeAfter < state.PrunedSeq)
        {
            // Retention removed seq resumeAfter + 1: the client missed something for good.
            recovered = false;
        }

        return new ReplayStart(resumeAfter, recovered, state.PrunedSeq, state.LastSeq);
    }

    /// <summary>The counters of one user's stream, for a gap fill to tell a seq the store removed from one it did not return.</summary>
    public Task<UserStreamState> GetStateAsync(string userId, CancellationToken cancellationToken) =>
        States.ReadAsync(userId, cancellationToken);

    /// <summary>Whether a row read by <see cref="ReadAsync"/> has expired: it is not sent, and its seq may be skipped.</summary>
    public bool IsExpired(StoredNotification row) => row.ExpiresAt <= timeProvider.GetUtcNow();

    /// <summary>
    /// The stored notifications of <paramref name="userId"/> with seq above <paramref name="afterSeq"/> and at most
    /// <paramref name="upTo"/>, oldest first, one page of <see cref="DeliveryOptions.ReplayPageSize"/> in memory at a
    /// time. The next page is read only when the caller asks for its first row, so a caller that writes each row to a
    /// socket before asking for the next is held back by that socket.
    /// </summary>
    /// <remarks>
    /// Rows that expired but are still stored are returned too (<see cref="IsExpired"/> tells them): the caller never
    /// sends them, but their seq is one the store reports expired, which a gap fill may skip. A seq the read does not
    /// return at all is skipped only when the stream's pruned seq covers it.
    /// </remarks>
    public async IAsyncEnumerable<StoredNotification> ReadAsync(
        string userId,
        long afterSeq,
        long upTo,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (afterSeq < upTo)
        {
            IReadOnlyList<StoredNotification> rows;
            await _reads.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // "Not expired at the epoch": every row still stored, expired ones included.
                rows = await store.ReadAsync(userId, afterSeq, _pageSize, DateTimeOffset.UnixEpoch, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _reads.Release();
            }

            foreach (var row in rows)
            {
                if (row.Seq > upTo)
                {
                    yield break;
                }

                afterSeq = row.Seq;
                yield return row;
            }

            if (rows.Count < _pageSize)
            {
                yield break;
            }
        }
    }
}

/// <summary>Where a socket's replay starts (<see cref="StreamReplay.StartAsync"/>).</summary>
/// <param name="ResumeAfter">The replay sends the stored notifications after this seq.</param>
/// <param name="Recovered">False when notifications after the resume point are gone (or were skipped by the replay cap).</param>
/// <param name="PrunedSeq">Everything up to this seq was removed by retention.</param>
/// <param name="LastSeq">The stream's newest seq when its state was read.</param>
public readonly record struct ReplayStart(long ResumeAfter, bool Recovered, long PrunedSeq, long LastSeq);
