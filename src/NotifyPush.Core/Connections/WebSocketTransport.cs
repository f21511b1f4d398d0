using System.Net.WebSockets;

namespace NotifyPush.Core.Connections;

/// <summary>A <see cref="NotificationConnection"/> over an accepted WebSocket: one text message per frame.</summary>
/// <param name="socket">The accepted WebSocket.</param>
/// <param name="coalescer">The cork of the socket's transport, when the host provides one.</param>
public sealed class WebSocketTransport(WebSocket socket, IWriteCoalescer? coalescer = null) : IConnectionTransport
{
    /// <summary>The name of this transport: <c>websocket</c>.</summary>
    public const string TransportName = "websocket";

    /// <inheritdoc />
    public string Name => TransportName;

    /// <inheritdoc />
    public bool CarriesClientFrames => true;

    /// <inheritdoc />
    public bool CanClose => socket.State is WebSocketState.Open or WebSocketState.CloseReceived;

    /// <inheritdoc />
    public IWriteCoalescer? Coalescer => coalescer;

    /// <inheritdoc />
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, long seq) =>
        socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <inheritdoc />
    public ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer) =>
        // No cancellation token: Abort() aborts the socket, which ends this receive, and a token would keep a
        // registration alive per idle socket for nothing.
        socket.ReceiveAsync(buffer, CancellationToken.None);

    /// <inheritdoc />
    public Task CloseOutputAsync(int code, string reason, CancellationToken cancellationToken) =>
        socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, cancellationToken);

    /// <inheritdoc />
    public void Abort()
    {
        if (socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            socket.Abort();
        }
    }
}
