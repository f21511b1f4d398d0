using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace NotifyPush.Client.Subscribing;

internal sealed partial class SubscriberSocket
{
    private static readonly ReadOnlyMemory<byte> PongFrame = """{"type":"pong"}"""u8.ToArray();

    /// <summary>
    /// The only code that sends on the socket. Ends when the outbound channel completes, after the close frame, or
    /// when a write fails or times out (the socket is then aborted, and the read loop ends with it).
    /// </summary>
    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                switch (frame.Type)
                {
                    case OutboundFrame.Kind.Pong:
                        await SendAsync(PongFrame).ConfigureAwait(false);
                        break;
                    case OutboundFrame.Kind.Auth:
                        await SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"auth","token":{{System.Text.Json.JsonSerializer.Serialize(frame.Token)}}}""")).ConfigureAwait(false);
                        break;
                    case OutboundFrame.Kind.Ack:
                        Volatile.Write(ref _ackQueued, 0);
                        // The newest processed seq, but never beyond what this socket received or resumed from.
                        var seq = Math.Min(_owner.ProcessedSeq, Volatile.Read(ref _highWater));
                        if (seq > _lastAckSent)
                        {
                            await SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"ack","seq":{{seq.ToString(CultureInfo.InvariantCulture)}}}""")).ConfigureAwait(false);
                            Volatile.Write(ref _lastAckSent, seq);
                        }

                        break;
                    case OutboundFrame.Kind.Close:
                        if (_socket.State == WebSocketState.Open)
                        {
                            using var timeout = new CancellationTokenSource(_options.SendTimeout, _options.TimeProvider);
                            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
                        }

                        return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // A failed or timed-out write: the socket is useless. Aborting it ends the read loop, which reports the
            // close and lets the subscriber reconnect.
            _socket.Abort();
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> frame)
    {
        if (_socket.State != WebSocketState.Open)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_options.SendTimeout, _options.TimeProvider);
        await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, timeout.Token).ConfigureAwait(false);
    }

    private async Task ReplyToCloseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.CloseTimeout, _options.TimeProvider);
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The server gave up on the handshake meanwhile; the socket is done either way.
        }
    }
}
