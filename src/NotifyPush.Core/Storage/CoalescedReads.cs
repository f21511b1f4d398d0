namespace NotifyPush.Core.Storage;

/// <summary>
/// Reads one value per user through a batched store query, shared by every caller waiting at the same time: the
/// first caller's read starts at once, and callers arriving while a read runs wait for the next one, which takes all
/// of them (up to <c>maxBatch</c> users). At one caller at a time it is a read per call with no added wait; during a
/// reconnect storm the handshakes in flight share one query per batch instead of one each (PostgreSQL charges per
/// statement far more than per row).
/// </summary>
/// <remarks>
/// One read runs at a time. A caller that cancels stops waiting; the read it joined still completes for the others.
/// A failed read fails every caller of its batch with the same exception.
/// </remarks>
/// <typeparam name="TValue">What is read per user; a user the read leaves out gets <c>default</c>.</typeparam>
public sealed class CoalescedReads<TValue>
{
    private readonly Func<IReadOnlyList<string>, Task<IReadOnlyDictionary<string, TValue>>> _read;
    private readonly int _maxBatch;
    private readonly Lock _gate = new();
    private Dictionary<string, TaskCompletionSource<TValue?>> _waiting = new(StringComparer.Ordinal);
    private bool _reading;

    /// <param name="read">The batched query; it must not depend on any one caller's cancellation.</param>
    /// <param name="maxBatch">The most users one read asks for.</param>
    public CoalescedReads(Func<IReadOnlyList<string>, Task<IReadOnlyDictionary<string, TValue>>> read, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _read = read;
        _maxBatch = maxBatch;
    }

    /// <summary>The user's value from the next read that includes the user.</summary>
    public Task<TValue?> ReadAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        TaskCompletionSource<TValue?>? waiter;
        var start = false;
        lock (_gate)
        {
            if (!_waiting.TryGetValue(userId, out waiter))
            {
                waiter = new TaskCompletionSource<TValue?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting[userId] = waiter;
            }

            if (!_reading)
            {
                _reading = true;
                start = true;
            }
        }

        if (start)
        {
            _ = ReadBatchesAsync();
        }

        return cancellationToken.CanBeCanceled ? waiter.Task.WaitAsync(cancellationToken) : waiter.Task;
    }

    private async Task ReadBatchesAsync()
    {
        while (true)
        {
            Dictionary<string, TaskCompletionSource<TValue?>> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _reading = false;
                    return;
                }

                batch = TakeBatch();
            }

            try
            {
                var values = await _read([.. batch.Keys]).ConfigureAwait(false);
                foreach (var (userId, waiter) in batch)
                {
                    waiter.TrySetResult(values.TryGetValue(userId, out var value) ? value : default);
                }
            }
            catch (Exception ex)
            {
                foreach (var waiter in batch.Values)
                {
                    waiter.TrySetException(ex);
                }
            }
        }
    }

    // Under _gate.
    private Dictionary<string, TaskCompletionSource<TValue?>> TakeBatch()
    {
        if (_waiting.Count <= _maxBatch)
        {
            var all = _waiting;
            _waiting = new Dictionary<string, TaskCompletionSource<TValue?>>(StringComparer.Ordinal);
            return all;
        }

        var batch = new Dictionary<string, TaskCompletionSource<TValue?>>(_maxBatch, StringComparer.Ordinal);
        foreach (var (userId, waiter) in _waiting)
        {
            batch[userId] = waiter;
            if (batch.Count == _maxBatch)
            {
                break;
            }
        }

        foreach (var userId in batch.Keys)
        {
            _waiting.Remove(userId);
        }

        return batch;
    }
}
