using System.Collections.Concurrent;
using NotifyPush.Core.Backplane;

namespace NotifyPush.Core.Tests.Connections;

/// <summary>A backplane whose unsubscribe waits until the test lets it finish, to hold a release in flight.</summary>
internal sealed class SlowUnsubscribeBackplane : INotificationBackplane
{
    private readonly ConcurrentDictionary<string, byte> _subscribed = new(StringComparer.Ordinal);

    /// <summary>Completes when an unsubscribe has started.</summary>
    public TaskCompletionSource UnsubscribeStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Complete it to let the pending unsubscribe finish.</summary>
    public TaskCompletionSource UnsubscribeMayFinish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsSubscribed(string userId) => _subscribed.ContainsKey(userId);

    public void SetListener(IBackplaneListener listener)
    {
    }

    public Task SubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        _subscribed.TryAdd(userId, 0);
        return Task.CompletedTask;
    }

    public async Task UnsubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        UnsubscribeStarted.TrySetResult();
        await UnsubscribeMayFinish.Task.ConfigureAwait(false);
        _subscribed.TryRemove(userId, out _);
    }

    public Task PublishAsync(IReadOnlyList<BackplaneMessage> messages, CancellationToken cancellationToken) => Task.CompletedTask;

    public BackplaneHealth GetHealth() => new(true, null, "test");
}
