using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Core.Delivery;

/// <summary>
/// Rings the backplane for committed notifications off the request path: a POST is answered once the store
/// committed, never after the doorbell, so a stalled broker cannot hold requests. One loop publishes in arrival
/// order, taking everything that waits into one publish (the Redis backplane pipelines it).
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="Capacity"/> messages wait. Beyond that only the newest doorbell per user is kept
/// (<see cref="OwedDoorbells"/>) and rung once the queue has drained; a receiver that sees seq N fills every lower
/// seq it lacks from the store. A doorbell that never rings costs latency, not notifications: a socket's next
/// doorbell, a backplane restore or a reconnect reads the store.
/// </remarks>
public sealed partial class DoorbellQueue(
    INotificationBackplane backplane,
    ILogger<DoorbellQueue> logger) : BackgroundService
{
    /// <summary>Most messages waiting for the backplane before newer ones are collapsed to one per user.</summary>
    internal const int Capacity = 100_000;

    /// <summary>Most messages handed to the backplane in one publish.</summary>
    internal const int MaxBatch = 4096;

    /// <summary>How long a stopping replica keeps ringing what is queued.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<BackplaneMessage> _queue = Channel.CreateUnbounded<BackplaneMessage>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });

    private readonly OwedDoorbells _owed = new(Capacity);
    private readonly LogOnce _fullLogged = new();
    private int _waiting;

    /// <summary>Messages waiting for the backplane (for tests and diagnostics).</summary>
    internal int Waiting => Volatile.Read(ref _waiting) + _owed.Count;

    /// <summary>Queues the messages in order. Never blocks.</summary>
    public void Enqueue(IReadOnlyList<BackplaneMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (Interlocked.Increment(ref _waiting) > Capacity || !_queue.Writer.TryWrite(messages[i]))
            {
                Interlocked.Decrement(ref _waiting);
                var dropped = _owed.Add([messages[i]]);
                if (_fullLogged.Fail())
                {
                    Log.QueueFull(logger, Capacity, dropped);
                }
            }
        }

        if (!_owed.IsEmpty)
        {
            // The loop may have drained the queue just before: wake it so the owed doorbells do not wait for the next send.
            _queue.Writer.TryWrite(default);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var batch = new List<BackplaneMessage>(MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                do
                {
                    await RingWaitingAsync(batch).ConfigureAwait(false);
                }
                while (Volatile.Read(ref _waiting) == 0 && !_owed.IsEmpty);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // What the loop had not rung yet rings now, for a bounded time: receivers elsewhere would otherwise learn of
        // these notifications only with the user's next one.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DrainTimeout);
        try
        {
            var batch = new List<BackplaneMessage>(MaxBatch);
            while (Waiting > 0 && !timeout.IsCancellationRequested)
            {
                await RingWaitingAsync(batch).WaitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            Log.LeftAtShutdown(logger, Waiting);
        }
    }

    private async Task RingWaitingAsync(List<BackplaneMessage> batch)
    {
        batch.Clear();
        while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var message))
        {
            if (message.Kind == default)
            {
                continue; // Only a wake-up (see Enqueue).
            }

            Interlocked.Decrement(ref _waiting);
            batch.Add(message);
        }

        // Owed doorbells are newer than anything that was queued before them: ring them only once the queue is empty,
        // so each user's doorbells stay in seq order.
        if (batch.Count < MaxBatch && Volatile.Read(ref _waiting) == 0 && !_owed.IsEmpty)
        {
            batch.AddRange(_owed.TakeAll());
            _fullLogged.Succeed();
        }

        if (batch.Count == 0)
        {
            return;
        }

        using var activity = NotifyPushTracing.StartPublish(batch);
        try
        {
            // Not cancellable: a publish is bounded by the backplane's own timeouts.
            await backplane.PublishAsync(batch, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The backplane reports outages through its health and owes the doorbells itself; anything thrown is
            // dropped here (receivers fill from the store) so that the loop keeps ringing for everyone else.
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name);
            Log.PublishFailed(logger, ex, batch.Count);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.DoorbellQueueFull, LogLevel.Warning, "{Capacity} doorbells are waiting for the backplane; newer ones are kept as one per user until it catches up ({DroppedCount} users beyond that ring only with their next notification).")]
        public static partial void QueueFull(ILogger logger, int capacity, int droppedCount);

        [LoggerMessage(NotifyPushEventIds.DoorbellsLeftAtShutdown, LogLevel.Warning, "Stopping with {Count} doorbells not rung; their notifications are stored and reach sockets through the store.")]
        public static partial void LeftAtShutdown(ILogger logger, int count);

        [LoggerMessage(NotifyPushEventIds.PublishFailed, LogLevel.Error, "Publishing {MessageCount} messages to the backplane threw; they are stored and reach sockets through the store.")]
        public static partial void PublishFailed(ILogger logger, Exception exception, int messageCount);
    }
}
