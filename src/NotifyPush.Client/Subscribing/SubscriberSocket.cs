using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace NotifyPush.Client.Subscribing;

/// <summary>
/// One open socket of a <see cref="NotifyPushSubscriber"/>: a read loop that hands notifications to the enumerator's
/// buffer and answers the protocol, and a single writer (<see cref="WriteLoopAsync"/>) that alone sends on the socket,
/// because a <see cref="ClientWebSocket"/> allows one pending send.
/// </summary>
internal sealed partial class SubscriberSocket : IDisposable
{
    private const int ReceiveBufferBytes = 16 * 1024;

    private readonly ClientWebSocket _socket;
    private readonly NotifyPushSubscriber _owner;
    private readonly NotifyPushSubscriberOptions _options;
    private readonly ChannelWriter<InboundItem> _inbound;
    private readonly Channel<OutboundFrame> _outbound = Channel.CreateUnbounded<OutboundFrame>(new UnboundedChannelOptions { SingleReader = true });

    // The watchdog: re-armed by every frame; when it fires the pending receive is cancelled, which aborts the socket.
    private readonly CancellationTokenSource _idle;

    // Armed once the subscriber starts closing: bounds the wait for the server's close reply.
    private readonly CancellationTokenSource _closing;
    private readonly CancellationTokenSource _receive;

    // The highest seq this socket may acknowledge: its resume point, then the highest seq it received. The server
    // closes with 4400 on an ack beyond what it sent on this socket.
    private long _highWater;
    private long _lastAckSent;
    private int _ackQueued;
    private int _closeRequested;
    private bool _synced;
    private TimeSpan _idleTimeout;

    public SubscriberSocket(ClientWebSocket socket, NotifyPushSubscriber owner, ChannelWriter<InboundItem> inbound, long resumeSeq)
    {
        _socket = socket;
        _owner = owner;
        _options = owner.Options;
        _inbound = inbound;
        _highWater = resumeSeq;
        _idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _options.TimeProvider);
        _closing = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _options.TimeProvider);
        _receive = CancellationTokenSource.CreateLinkedTokenSource(_idle.Token, _closing.Token);
        // Until welcome, the connect timeout bounds the silence; then the server's heartbeat interval plus the grace.
        _idleTimeout = _options.ConnectTimeout;
    }

    /// <summary>Runs the socket until it ends; <paramref name="stop"/> closes it with 1000 after a last ack.</summary>
    public async Task<SocketClosure> RunAsync(CancellationToken stop)
    {
        var writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        try
        {
            SocketClosure closure;
            using (stop.Register(RequestClose))
            {
                closure = await ReadLoopAsync(stop).ConfigureAwait(false);
            }

            // The writer ends with the channel; it may still be flushing the last ack and the close frame.
            _outbound.Writer.TryComplete();
            try
            {
                await writer.WaitAsync(_options.SendTimeout + _options.CloseTimeout, _options.TimeProvider, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _socket.Abort();
            }

            if (_socket.State == WebSocketState.CloseReceived)
            {
                // The server closed first: complete the handshake so it sees a clean close, not a reset.
                await ReplyToCloseAsync().ConfigureAwait(false);
            }

            return closure with { ReachedSynced = _synced };
        }
        finally
        {
            // Also when an event handler's exception left the read loop: the writer must not outlive the socket.
            _outbound.Writer.TryComplete();
            _socket.Abort();
        }
    }

    /// <summary>Asks the writer to acknowledge the newest processed seq (coalesced: one pending ack at a time).</summary>
    public void SignalAck()
    {
        if (Interlocked.Exchange(ref _ackQueued, 1) == 0)
        {
            _outbound.Writer.TryWrite(new OutboundFrame(OutboundFrame.Kind.Ack));
        }
    }

    public void Dispose()
    {
        _receive.Dispose();
        _closing.Dispose();
        _idle.Dispose();
        _socket.Dispose();
    }

    private void RequestClose()
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        SignalAck();
        _outbound.Writer.TryWrite(new OutboundFrame(OutboundFrame.Kind.Close));
        _closing.CancelAfter(_options.CloseTimeout + _options.SendTimeout);
    }

    private async Task<SocketClosure> ReadLoopAsync(CancellationToken stop)
    {
        var buffer = new byte[ReceiveBufferBytes];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                message.SetLength(0);
                ValueWebSocketReceiveResult result;
                _idle.CancelAfter(_idleTimeout);
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(), _receive.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return new SocketClosure((int?)_socket.CloseStatus ?? 1005, _socket.CloseStatusDescription);
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                // Handling may wait for room in the enumerator's buffer; that is the reader's slowness, not the
                // socket's silence, so the watchdog pauses until the next receive.
                _idle.CancelAfter(Timeout.InfiniteTimeSpan);
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    await HandleAsync(message.GetBuffer().AsMemory(0, (int)message.Length), stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !_idle.IsCancellationRequested)
        {
            return new SocketClosure(NotifyPushCloseCodes.Normal, "closed by the subscriber");
        }
        catch (OperationCanceledException) when (_idle.IsCancellationRequested)
        {
            return new SocketClosure(NotifyPushCloseCodes.Abnormal, $"no frame from the server for {_idleTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            return new SocketClosure(NotifyPushCloseCodes.Abnormal, ex.Message);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            // A server that speaks another protocol (a proxy's page, an incompatible version): drop this socket and
            // try again later rather than hand the application half-read frames.
            return new SocketClosure(NotifyPushCloseCodes.Abnormal, $"unreadable server frame: {ex.Message}");
        }
    }

    private async ValueTask HandleAsync(ReadOnlyMemory<byte> frame, CancellationToken stop)
    {
        using var document = JsonDocument.Parse(frame);
        var root = document.RootElement;
        switch (root.GetProperty("type").GetString())
        {
            case "notification":
                var notification = new ReceivedNotification(
                    root.GetProperty("seq").GetInt64(),
                    root.GetProperty("id").GetGuid(),
                    root.GetProperty("event").GetString() ?? string.Empty,
                    root.TryGetProperty("payload", out var payload) ? payload.Clone() : default,
                    root.GetProperty("createdAt").GetDateTimeOffset(),
                    Replayed: !_synced);
                if (notification.Seq > Volatile.Read(ref _highWater))
                {
                    Volatile.Write(ref _highWater, notification.Seq);
                }

                // An ack the enumerator asked for before this socket had received that far can go out now.
                if (Math.Min(_owner.ProcessedSeq, Volatile.Read(ref _highWater)) > Volatile.Read(ref _lastAckSent))
                {
                    SignalAck();
                }

                await _inbound.WriteAsync(new InboundItem(notification, 0, false), stop).ConfigureAwait(false);
                break;
            case "synced":
                var seq = root.GetProperty("seq").GetInt64();
                var recovered = root.GetProperty("recovered").GetBoolean();
                _synced = true;
                _owner.OnSynced(seq, recovered);
                await _inbound.WriteAsync(new InboundItem(null, seq, recovered), stop).ConfigureAwait(false);
                break;
            case "ping":
                _outbound.Writer.TryWrite(new OutboundFrame(OutboundFrame.Kind.Pong));
                break;
            case "token-expiring":
                _ = RefreshCredentialAsync(stop);
                break;
            case "welcome":
                var heartbeatSeconds = root.GetProperty("heartbeatSeconds").GetInt32();
                _idleTimeout = TimeSpan.FromSeconds(heartbeatSeconds) + _options.HeartbeatGrace;
                _owner.OnWelcome(new ConnectedEventArgs(
                    root.GetProperty("userId").GetString() ?? string.Empty,
                    root.GetProperty("connectionId").GetString() ?? string.Empty,
                    heartbeatSeconds));
                break;
            default:
                // Frames a newer server may add are ignored, as the protocol asks of clients.
                break;
        }
    }

    private async Task RefreshCredentialAsync(CancellationToken stop)
    {
        if (_options.TokenProvider is not { } provider)
        {
            return;
        }

        try
        {
            var token = await provider(stop).ConfigureAwait(false);
            _outbound.Writer.TryWrite(new OutboundFrame(OutboundFrame.Kind.Auth, token));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not fatal here: the socket keeps its credential until it expires, the server then closes with 4001,
            // and the reconnect asks the provider again, where a failure ends the enumeration for the application
            // to see.
        }
    }
}
