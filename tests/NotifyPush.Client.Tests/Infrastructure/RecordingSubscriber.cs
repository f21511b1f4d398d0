using System.Collections.Concurrent;
using NotifyPush.Client.Subscribing;

namespace NotifyPush.Client.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="NotifyPushSubscriber.ReadAllAsync"/> in the background as an application's loop would, with an
/// optional loop body, and records what it yields and every event, for assertions.
/// </summary>
public sealed class RecordingSubscriber : IAsyncDisposable
{
    private readonly List<ReceivedNotification> _received = [];
    private readonly ConcurrentQueue<DisconnectedEventArgs> _disconnects = new();
    private readonly ConcurrentQueue<SyncedEventArgs> _synced = new();
    private readonly ConcurrentQueue<ConnectedEventArgs> _connects = new();
    private readonly ConcurrentQueue<SubscriberState> _states = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    public RecordingSubscriber(NotifyPushSubscriberOptions options, Func<ReceivedNotification, Task>? body = null)
    {
        Subscriber = new NotifyPushSubscriber(options);
        Subscriber.Connected += (_, e) => _connects.Enqueue(e);
        Subscriber.Disconnected += (_, e) => _disconnects.Enqueue(e);
        Subscriber.Synced += (_, e) => _synced.Enqueue(e);

        // Attached before the loop starts, so the first state change (to Connecting) is never missed.
        Subscriber.StateChanged += (_, e) => _states.Enqueue(e.State);
        _reading = Task.Run(async () =>
        {
            await foreach (var notification in Subscriber.ReadAllAsync(_stop.Token))
            {
                lock (_received)
                {
                    _received.Add(notification);
                }

                if (body is not null)
                {
                    await body(notification);
                }
            }
        });
    }

    public NotifyPushSubscriber Subscriber { get; }

    /// <summary>Ends when the enumeration ends; faults with the exception it ended with.</summary>
    public Task Completion => _reading;

    public IReadOnlyList<ConnectedEventArgs> Connects => [.. _connects];

    public IReadOnlyList<DisconnectedEventArgs> Disconnects => [.. _disconnects];

    public IReadOnlyList<SyncedEventArgs> Synced => [.. _synced];

    /// <summary>Every state the subscriber entered, in order.</summary>
    public IReadOnlyList<SubscriberState> States => [.. _states];

    public IReadOnlyList<ReceivedNotification> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public long[] ReceivedSeqs => Received.Select(n => n.Seq).ToArray();

    /// <summary>Waits until the loop got the notification with <paramref name="seq"/>.</summary>
    public Task WaitForSeqAsync(long seq, TimeSpan? timeout = null) =>
        ServiceApi.EventuallyAsync(() => Task.FromResult(Received.Any(n => n.Seq >= seq) || _reading.IsCompleted), $"the subscriber received seq {seq} (it has {string.Join(",", ReceivedSeqs)})", timeout ?? TimeSpan.FromSeconds(20));

    /// <summary>Waits until the first socket is synced.</summary>
    public Task WaitUntilSyncedAsync(int count = 1, TimeSpan? timeout = null) =>
        ServiceApi.EventuallyAsync(() => Task.FromResult(_synced.Count >= count || _reading.IsCompleted), $"the subscriber synced {count} time(s)", timeout ?? TimeSpan.FromSeconds(20));

    /// <summary>Ends the loop (as an application shutting down would) and waits for the subscriber to close.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ContinueWith(_ => { }, TaskScheduler.Default);
        await Subscriber.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        _stop.Dispose();
    }
}
