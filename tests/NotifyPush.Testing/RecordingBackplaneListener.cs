using NotifyPush.Core.Backplane;

namespace NotifyPush.Testing;

/// <summary>
/// An <see cref="IBackplaneListener"/> that records what arrives, per user, and lets a test await a number of
/// messages or restores with a timeout (never a fixed delay).
/// </summary>
public sealed class RecordingBackplaneListener : IBackplaneListener
{
    private readonly object _lock = new();
    private readonly Dictionary<string, List<BackplaneMessage>> _messages = new(StringComparer.Ordinal);
    private readonly List<(Func<bool> IsMet, TaskCompletionSource Done)> _waiters = [];
    private int _messageCount;
    private int _restoredCount;

    /// <summary>How many times <see cref="IBackplaneListener.OnRestored"/> was called.</summary>
    public int RestoredCount
    {
        get
        {
            lock (_lock)
            {
                return _restoredCount;
            }
        }
    }

    /// <summary>How many messages arrived, for all users.</summary>
    public int MessageCount
    {
        get
        {
            lock (_lock)
            {
                return _messageCount;
            }
        }
    }

    public void OnMessage(in BackplaneMessage message)
    {
        // The frame is copied: a backplane may reuse its buffer once OnMessage returns.
        var copy = message with { Frame = message.Frame.ToArray() };
        lock (_lock)
        {
            if (!_messages.TryGetValue(copy.UserId, out var list))
            {
                list = [];
                _messages.Add(copy.UserId, list);
            }

            list.Add(copy);
            _messageCount++;
            CompleteMetWaitersLocked();
        }
    }

    public void OnRestored()
    {
        lock (_lock)
        {
            _restoredCount++;
            CompleteMetWaitersLocked();
        }
    }

    /// <summary>The messages that arrived for the user so far, in arrival order.</summary>
    public IReadOnlyList<BackplaneMessage> ReceivedFor(string userId)
    {
        lock (_lock)
        {
            return _messages.TryGetValue(userId, out var list) ? list.ToArray() : [];
        }
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived for the user, and returns them all.</summary>
    public async Task<IReadOnlyList<BackplaneMessage>> WaitForMessagesAsync(string userId, int count, TimeSpan timeout)
    {
        await WaitUntilAsync(
            () => _messages.TryGetValue(userId, out var list) && list.Count >= count,
            timeout,
            () => $"{count} message(s) for user '{userId}' (got {ReceivedFor(userId).Count})");
        return ReceivedFor(userId);
    }

    /// <summary>Waits until <see cref="IBackplaneListener.OnRestored"/> was called at least <paramref name="count"/> times.</summary>
    public Task WaitForRestoredAsync(int count, TimeSpan timeout) =>
        WaitUntilAsync(() => _restoredCount >= count, timeout, () => $"{count} restore signal(s) (got {RestoredCount})");

    private async Task WaitUntilAsync(Func<bool> isMetLocked, TimeSpan timeout, Func<string> describe)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (isMetLocked())
            {
                return;
            }

            _waiters.Add((isMetLocked, done));
        }

        try
        {
            await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                _waiters.RemoveAll(waiter => waiter.Done == done);
            }

            throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {describe()}.");
        }
    }

    private void CompleteMetWaitersLocked()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].IsMet())
            {
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }
}
