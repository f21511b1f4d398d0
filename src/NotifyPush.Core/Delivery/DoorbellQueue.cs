using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Delivery;

/// <summary>
/// Rings the backplane for committed notifications off the request path: a POST is answered once the store
/// committed, never after the doorbell, so a stalled broker cannot hold requests. One loop publishes in arrival
/// order, taking everything that waits into one publish (the Redis backplane pipelines it).
/// </summary>
/// <remarks>
/// Bounded in messages (<see cref="DeliveryOptions.DoorbellQueueCapacity"/>) and in bytes
/// (<see cref="DeliveryOptions.DoorbellQueueBytes"/>; a send's shared payload counts once). Beyond either, only the
/// newest doorbell per user is kept, without its frame (<see cref="OwedDoorbells"/>), and rung once the queue has
/// drained; a receiver that sees seq N without a frame reads every seq up to N it lacks from the store. A doorbell that
/// never rings costs latency, not notifications: a socket's next doorbell, the position check, a backplane restore or
/// a reconnect reads the store.
/// </remarks>
public sealed partial class DoorbellQueue(
    INotificationBackplane backplane,
    ILogger<DoorbellQueue> logger,
    IOptions<DeliveryOptions>? options = null) : BackgroundService
{
    /// <summary>Most messages handed to the backplane in one publish.</summary>
    internal const int MaxBatch = 4096;

    /// <summary>What a queued doorbell costs beyond its frame and user id: the message and the channel's slot.</summary>
    internal const int MessageOverheadBytes = 96;

    /// <summary>How long a stopping replica keeps ringing what is queued.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<(BackplaneMessage Message, long Bytes)> _queue = Channel.CreateUnbounded<(BackplaneMessage, long)>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });

    private readonly int _capacity = options?.Value.DoorbellQueueCapacity ?? new DeliveryOptions().DoorbellQueueCapacity;
    private readonly long _maxBytes = options?.Value.DoorbellQueueBytes ?? new DeliveryOptions().DoorbellQueueBytes;
    private readonly OwedDoorbells _owed = new(
        options?.Value.DoorbellQueueCapacity ?? new DeliveryOptions().DoorbellQueueCapacity,
        options?.Value.DoorbellQueueBytes ?? new DeliveryOptions().DoorbellQueueBytes);

    private readonly LogOnce _fullLogged = new();
    private int _waiting;
    private long _waitingBytes;

    /// <summary>Most messages waiting for the backplane before newer ones are collapsed to one per user.</summary>
    internal int Capacity => _capacity;

    /// <summary>Messages waiting for the backplane (for tests and diagnostics).</summary>
    internal int Waiting => Volatile.Read(ref _waiting) + _owed.Count;

    /// <summary>Bytes the queued messages hold, as counted against the bound (for tests and diagnostics).</summary>
    internal long WaitingBytes => Interlocked.Read(ref _waitingBytes) + _owed.Bytes;

    /// <summary>Queues the messages in order. Never blocks.</summary>
    public void Enqueue(IReadOnlyList<BackplaneMessage> messages)
    {
        var overflowed = false;
        var dropped = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];

            // The recipients of one send share one tail (the payload): it is counted once, with the last of them, which
            // leaves the queue last, so the count holds the payload for as long as any of them waits.
            var bytes = MessageOverheadBytes + message.Frame.Length + (2L * message.UserId.Length);
            if (!message.FrameTail.IsEmpty && (i == messages.Count - 1 || !messages[i + 1].FrameTail.Equals(message.FrameTail)))
            {
                bytes += message.FrameTail.Length;
            }

            var fits = Interlocked.Increment(ref _waiting) <= _capacity;
            fits &= Interlocked.Add(ref _waitingBytes, bytes) <= _maxBytes;
            if (!fits || !_queue.Writer.TryWrite((message, bytes)))
            {
                Interlocked.Decrement(ref _waiting);
                Interlocked.Add(ref _waitingBytes, -bytes);
                overflowed = true;
                dropped += _owed.Add([message]);
            }
        }

        if (overflowed && _fullLogged.Fail())
        {
            Log.QueueFull(logger, _capacity, _maxBytes, dropped);
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
        while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var queued))
        {
            if (queued.Message.Kind == default)
            {
                continue; // Only a wake-up (see Enqueue).
            }

            Interlocked.Decrement(ref _waiting);
            Interlocked.Add(ref _waitingBytes, -queued.Bytes);
            batch.Add(queued.Message);
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
        [LoggerMessage(NotifyPushEventIds.DoorbellQueueFull, LogLevel.Warning, "The doorbells waiting for the backplane reached {Capacity} messages or {MaxBytes} bytes; newer ones are kept as one per user without their frame until it catches up ({DroppedCount} users beyond that catch up through the store).")]
        public static partial void QueueFull(ILogger logger, int capacity, long maxBytes, int droppedCount);

        [LoggerMessage(NotifyPushEventIds.DoorbellsLeftAtShutdown, LogLevel.Warning, "Stopping with {Count} doorbells not rung; their notifications are stored and reach sockets through the store.")]
        public static partial void LeftAtShutdown(ILogger logger, int count);

        [LoggerMessage(NotifyPushEventIds.PublishFailed, LogLevel.Error, "Publishing {MessageCount} messages to the backplane threw; they are stored and reach sockets through the store.")]
        public static partial void PublishFailed(ILogger logger, Exception exception, int messageCount);
    }
}
