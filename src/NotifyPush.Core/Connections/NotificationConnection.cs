using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Protocol;

namespace NotifyPush.Core.Connections;

/// <summary>
/// One authenticated connection of one user, over a WebSocket or a Server-Sent Events stream (its
/// <see cref="IConnectionTransport"/>). Only its send loop writes to the wire; everyone else calls
/// <see cref="TryEnqueue"/> on its bounded queue, so fan-out never waits for a slow socket.
/// </summary>
/// <remarks>
/// The send loop owns the delivery order: it replays from the store first while live notifications wait in the
/// queue, then drains the queue dropping any seq already sent and filling any jump from the store. That makes
/// replay-then-live, duplicate suppression and gap fill one sequential algorithm with no locks.
/// </remarks>
public sealed partial class NotificationConnection : INotificationRecipient
{
    private readonly IConnectionTransport _transport;
    private readonly IWriteCoalescer? _coalescer;
    private readonly ConnectionServices _services;
    private readonly Channel<OutboundMessage> _queue;
    private readonly CancellationTokenSource _aborted = new();
    private readonly long _maxQueuedBytes;

    // Bytes of the frames in _queue; added before a write to it, subtracted when the send loop takes the frame.
    private long _queuedBytes;

    // The stream's position and phase, and the rules for them: moved only by the send loop (and, once, by a writer
    // that finds the queue full during the replay); read by the receive loop to validate acks.
    private readonly DeliveryCursor _cursor = new();

    private int _closeCode;
    private string _closeReason = string.Empty;

    /// <summary>Creates a connection for an accepted socket. Call <see cref="RunAsync"/> once.</summary>
    /// <param name="socket">The accepted WebSocket; only this connection's send loop writes to it.</param>
    /// <param name="userId">The authenticated user.</param>
    /// <param name="credentialExpiresAt">When the credential stops being valid (4001 then), or null for never.</param>
    /// <param name="services">The process-wide collaborators.</param>
    /// <param name="coalescer">The cork of the socket's transport, when the host provides one: several waiting frames then go out in one write.</param>
    public NotificationConnection(WebSocket socket, string userId, DateTimeOffset? credentialExpiresAt, ConnectionServices services, IWriteCoalescer? coalescer = null)
        : this(new WebSocketTransport(socket, coalescer), userId, credentialExpiresAt, services)
    {
    }

    /// <summary>Creates a connection over any transport (a WebSocket, a Server-Sent Events stream). Call <see cref="RunAsync"/> once.</summary>
    /// <param name="transport">The wire; only this connection's send loop writes to it.</param>
    /// <param name="userId">The authenticated user.</param>
    /// <param name="credentialExpiresAt">When the credential stops being valid (4001 then), or null for never.</param>
    /// <param name="services">The process-wide collaborators.</param>
    public NotificationConnection(IConnectionTransport transport, string userId, DateTimeOffset? credentialExpiresAt, ConnectionServices services)
    {
        _transport = transport;
        _coalescer = transport.Coalescer;
        _services = services;
        UserId = userId;
        ConnectionId = Guid.NewGuid().ToString("N");
        _maxQueuedBytes = services.Connection.SendQueueBytes;
        _queue = Channel.CreateBounded<OutboundMessage>(new BoundedChannelOptions(services.Connection.SendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            // Never DropOldest: a full queue is a slow consumer and is closed with 4008 instead (TryWrite fails). The
            // byte budget (SendQueueBytes) is kept beside it, in _queuedBytes.
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });

        var now = services.Time.GetUtcNow();
        _nextPingAt = now.AddSeconds(services.Connection.HeartbeatSeconds).UtcTicks;
        _credentialExpiresAt = credentialExpiresAt?.UtcTicks ?? 0;
    }

    /// <summary>The authenticated user.</summary>
    public string UserId { get; }

    /// <summary>A unique id for logs and the <c>welcome</c> frame.</summary>
    public string ConnectionId { get; }

    /// <summary>
    /// One of the replica's own sockets of its start-up warm-up: handled like any other, but its user is never
    /// reported to presence (nor counted among the users the registry lists), so no last-seen key is left behind.
    /// </summary>
    public bool IsWarmUp { get; init; }

    /// <summary>The wire's name: <c>websocket</c> or <c>sse</c>.</summary>
    public string Transport => _transport.Name;

    /// <summary>The close code the server chose, or 0 while the connection is open.</summary>
    public int CloseCode => Volatile.Read(ref _closeCode);

    /// <summary>The highest seq written (or being written) to this socket.</summary>
    public long LastSentSeq => _cursor.Position;

    /// <summary>
    /// Queues a live notification frame. Never blocks. A full queue (frames or bytes) closes the socket with 4008
    /// (slow consumer): the notification is in the store and is replayed when the client reconnects. While the
    /// socket's replay runs, a frame that does not fit is dropped instead, and the replay reads the store once more.
    /// </summary>
    /// <param name="seq">The notification's seq.</param>
    /// <param name="frame">Its frame, shared by every socket of the user.</param>
    /// <param name="createdAtUtcTicks">Its createdAt, for the delivery latency metric; 0 when unknown.</param>
    public bool TryEnqueueNotification(long seq, ReadOnlyMemory<byte> frame, long createdAtUtcTicks = 0) =>
        TryEnqueue(new OutboundMessage(OutboundKind.Notification, seq, frame, createdAtUtcTicks));

    /// <summary>
    /// Queues a live notification given as a head of its own and a tail shared with other recipients (the payload is
    /// held once per send). Without either, the notification's frame was not carried and is read from the store.
    /// </summary>
    /// <param name="seq">The notification's seq.</param>
    /// <param name="frameHead">The frame up to the payload, or the whole frame when <paramref name="frameTail"/> is empty.</param>
    /// <param name="frameTail">The rest of the frame, shared.</param>
    /// <param name="createdAtUtcTicks">Its createdAt, for the delivery latency metric; 0 when unknown.</param>
    public bool TryEnqueueNotification(long seq, ReadOnlyMemory<byte> frameHead, ReadOnlyMemory<byte> frameTail, long createdAtUtcTicks = 0) =>
        frameHead.IsEmpty && frameTail.IsEmpty
            ? TryEnqueue(new OutboundMessage(OutboundKind.Doorbell, seq, ReadOnlyMemory<byte>.Empty))
            : TryEnqueue(new OutboundMessage(OutboundKind.Notification, seq, frameHead, createdAtUtcTicks) { FrameTail = frameTail });

    /// <summary>Asks the send loop to read everything after its last sent seq from the store.</summary>
    public bool TryEnqueueCatchUp() => TryEnqueue(OutboundMessage.CatchUp);

    /// <returns>False when the frame was not queued: the socket is closing, or (only during replay) it did not fit.</returns>
    internal bool TryEnqueue(in OutboundMessage message)
    {
        // A frame larger than the whole byte budget still goes into an empty queue, or it could never be sent.
        var size = message.Length;
        var queuedBytes = Interlocked.Add(ref _queuedBytes, size);
        if ((queuedBytes <= _maxQueuedBytes || queuedBytes == size) && _queue.Writer.TryWrite(message))
        {
            return true;
        }

        Interlocked.Add(ref _queuedBytes, -size);
        if (CloseCode != 0)
        {
            return false;
        }

        // During replay the socket is busy with frames read from the store, and a notification that does not fit
        // is in the store too: the replay reads it (the phase turns to "owed", read again before synced).
        if (_cursor.OweReplay())
        {
            return false;
        }

        if (RequestClose(CloseCodes.SlowConsumer, "send queue overflow"))
        {
            Log.SlowConsumer(_services.Logger, ConnectionId, UserId, _services.Connection.SendQueueCapacity, _maxQueuedBytes);
        }

        return false;
    }

    /// <summary>
    /// Asks the connection to close with <paramref name="code"/>. The first request wins; the send loop stops
    /// writing queued frames, sends the close frame and the socket is aborted if the client does not answer in time.
    /// </summary>
    /// <returns>True when this call decided the close code.</returns>
    public bool RequestClose(int code, string reason)
    {
        if (Interlocked.CompareExchange(ref _closeCode, code, 0) != 0)
        {
            return false;
        }

        _closeReason = reason;
        _queue.Writer.TryComplete();
        return true;
    }

    /// <summary>Runs the socket until it closes: replay, then live delivery, with the receive loop alongside.</summary>
    public async Task RunAsync(ResumePoint resume, CancellationToken requestAborted)
    {
        using var abortRegistration = requestAborted.UnsafeRegister(static state => ((NotificationConnection)state!).Abort(), this);
        var closeTimeout = TimeSpan.FromSeconds(_services.Connection.CloseTimeoutSeconds);

        var sending = SendLoopAsync(resume);
        var receiving = ReceiveLoopAsync();
        var first = await Task.WhenAny(sending, receiving).ConfigureAwait(false);

        // When one loop ends the other gets a bounded time to finish the close handshake (SignalR's
        // WebSocketsServerTransport does the same), then the socket is aborted so nothing lingers.
        if (first == receiving)
        {
            RequestClose(CloseCodes.Normal, string.Empty);
            await WaitBoundedAsync(sending, closeTimeout).ConfigureAwait(false);
        }
        else
        {
            await WaitBoundedAsync(receiving, closeTimeout).ConfigureAwait(false);
        }

        Abort();
        // No close code chosen means the connection was cut (the peer vanished, the request was aborted): 1006.
        _services.Metrics.ConnectionClosed(CloseCode == 0 ? NotifyPushMetrics.AbnormalClosure : CloseCode);
        Log.Closed(_services.Logger, ConnectionId, UserId, CloseCode, _closeReason, LastSentSeq);
    }

    private async Task WaitBoundedAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout, _services.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort();
            await task.ConfigureAwait(false);
        }
    }

    private void Abort()
    {
        if (!_aborted.IsCancellationRequested)
        {
            _aborted.Cancel();
        }

        // Wakes a send loop idling on the queue; it then finds the socket aborted and ends.
        _queue.Writer.TryComplete();

        _transport.Abort();
    }
}
