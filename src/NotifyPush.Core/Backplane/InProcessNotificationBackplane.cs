using System.Collections.Concurrent;

namespace NotifyPush.Core.Backplane;

/// <summary>
/// The single-replica backplane: a publish is handed straight to this process's listener.
/// The zero-setup default; with several replicas use the Redis backplane.
/// </summary>
public sealed class InProcessNotificationBackplane : INotificationBackplane
{
    private readonly ConcurrentDictionary<string, byte> _subscriptions = new(StringComparer.Ordinal);
    private IBackplaneListener? _listener;

    public void SetListener(IBackplaneListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (Interlocked.CompareExchange(ref _listener, listener, null) is not null)
        {
            throw new InvalidOperationException("The backplane listener is already set.");
        }
    }

    public Task SubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        _subscriptions.TryAdd(userId, 0);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        _subscriptions.TryRemove(userId, out _);
        return Task.CompletedTask;
    }

    public Task PublishAsync(IReadOnlyList<BackplaneMessage> messages, CancellationToken cancellationToken)
    {
        var listener = _listener;
        if (listener is null)
        {
            return Task.CompletedTask;
        }

        // The listener only enqueues to bounded socket queues, so delivering inline keeps the
        // per-user order of the publisher without a hop through another queue.
        foreach (var message in messages)
        {
            if (_subscriptions.ContainsKey(message.UserId))
            {
                listener.OnMessage(message);
            }
        }

        return Task.CompletedTask;
    }

    public BackplaneHealth GetHealth() => new(true, null, "in-process");
}
