using System.Net.WebSockets;

namespace NotifyPush.Core.Connections;

/// <summary>
/// The wire under one <see cref="NotificationConnection"/>: a WebSocket (<see cref="WebSocketTransport"/>) or a
/// Server-Sent Events response (the host's). The connection's send loop is its only writer and its receive loop its
/// only reader, so delivery order, replay, gap fill, limits and close codes are one engine whatever the wire.
/// </summary>
public interface IConnectionTransport
{
    /// <summary>The transport's name as metrics, logs and the admin view show it: <c>websocket</c> or <c>sse</c>.</summary>
    string Name { get; }

    /// <summary>
    /// True when the client sends frames over this wire (acks, pongs, in-band auth). False for Server-Sent Events: the
    /// client acknowledges over HTTP and cannot answer pings, so no pong is awaited and a dead peer is found by a
    /// failed or timed-out write instead.
    /// </summary>
    bool CarriesClientFrames { get; }

    /// <summary>True while a close can still be sent (the wire is open, or the client's close arrived first).</summary>
    bool CanClose { get; }

    /// <summary>The cork of this wire, when it can put several frames into one write; null otherwise.</summary>
    IWriteCoalescer? Coalescer { get; }

    /// <summary>Writes one whole server frame (a JSON object, <c>type</c> first).</summary>
    /// <param name="frame">The frame's bytes, valid only until the returned task completes.</param>
    /// <param name="seq">The notification's seq when the frame is a notification, otherwise 0.</param>
    ValueTask SendAsync(ReadOnlyMemory<byte> frame, long seq);

    /// <summary>
    /// Reads (part of) the client's next frame. A wire without client frames completes only when the client went
    /// away or the stream ended, with a <see cref="WebSocketMessageType.Close"/> result.
    /// </summary>
    ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer);

    /// <summary>Sends the close (a close frame, or a <c>close</c> event) and ends the output.</summary>
    Task CloseOutputAsync(int code, string reason, CancellationToken cancellationToken);

    /// <summary>Cuts the wire now unless it already ended cleanly; ends any pending receive. Idempotent.</summary>
    void Abort();
}
