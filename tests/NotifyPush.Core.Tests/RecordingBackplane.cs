using System.Collections.Concurrent;
using NotifyPush.Core.Backplane;

namespace NotifyPush.Core.Tests;

/// <summary>An in-process backplane that also records the subscribe/unsubscribe calls the registry makes.</summary>
internal sealed class RecordingBackplane : INotificationBackplane
{
    private readonly InProcessNotificationBackplane _inner = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    public void SetListener(IBackplaneListener listener) => _inner.SetListener(listener);

    public async Task SubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        Calls.Enqueue("sub:" + userId);
        await Task.Yield();
        await _inner.SubscribeAsync(userId, cancellationToken);
    }

    public async Task UnsubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        Calls.Enqueue("unsub:" + userId);
        await Task.Yield();
        await _inner.UnsubscribeAsync(userId, cancellationToken);
    }

    public Task PublishAsync(IReadOnlyList<BackplaneMessage> messages, CancellationToken cancellationToken) => _inner.PublishAsync(messages, cancellationToken);

    public BackplaneHealth GetHealth() => _inner.GetHealth();
}
