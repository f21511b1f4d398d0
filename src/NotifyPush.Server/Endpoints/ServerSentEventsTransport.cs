using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Json;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// A <see cref="NotificationConnection"/> over a <c>text/event-stream</c> response (<c>/sse</c>): each server frame is
/// an event whose <c>event</c> is the frame's type and whose <c>data</c> is the frame's JSON; a notification's (and
/// <c>synced</c>'s) <c>id</c> is its seq, so a browser's own reconnect sends <c>Last-Event-ID</c>; a ping is a comment
/// line; the close is a <c>close</c> event <c>{"code":N,"reason":…}</c>, after which the response ends.
/// </summary>
/// <remarks>
/// Frames are written to the response's pipe and flushed one by one, or, while the connection corks, together once
/// it uncorks (or when <see cref="CorkedFlushBytes"/> gathered), as the WebSocket's <see cref="CoalescingStream"/> does.
/// </remarks>
internal sealed class ServerSentEventsTransport(HttpContext context) : IConnectionTransport, IWriteCoalescer
{
    /// <summary>The name of this transport: <c>sse</c>.</summary>
    public const string TransportName = "sse";

    // Bytes gathered under a cork before they are flushed anyway; a fan-out burst rarely reaches it.
    private const int CorkedFlushBytes = 64 * 1024;

    private const int Open = 0;
    private const int Ended = 1;
    private const int Aborted = 2;

    private readonly PipeWriter _output = context.Response.BodyWriter;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    // Written only by the send loop.
    private bool _corked;
    private long _unflushed;

    /// <inheritdoc />
    public string Name => TransportName;

    /// <inheritdoc />
    public bool CarriesClientFrames => false;

    /// <inheritdoc />
    public bool CanClose => Volatile.Read(ref _state) == Open;

    /// <inheritdoc />
    public IWriteCoalescer Coalescer => this;

    /// <inheritdoc />
    public async ValueTask SendAsync(ReadOnlyMemory<byte> frame, long seq)
    {
        var written = WriteEvent(_output, frame.Span, seq);
        _unflushed += written;
        if (!_corked || _unflushed >= CorkedFlushBytes)
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer)
    {
        // The client sends nothing on this wire (it acknowledges over POST /sse/ack): wait for its end.
        await _finished.Task.ConfigureAwait(false);
        return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, endOfMessage: true);
    }

    /// <inheritdoc />
    public async Task CloseOutputAsync(int code, string reason, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != Open)
        {
            return;
        }

        _output.Write("event: close\ndata: "u8);
        using (var writer = new Utf8JsonWriter(_output))
        {
            writer.WriteStartObject();
            writer.WriteNumber("code"u8, code);
            writer.WriteString("reason"u8, reason);
            writer.WriteEndObject();
        }

        _output.Write("\n\n"u8);
        await FlushAsync(cancellationToken).ConfigureAwait(false);

        // The response ends when the endpoint returns; aborting it now could cut the close event off.
        if (Interlocked.CompareExchange(ref _state, Ended, Open) == Open)
        {
            _finished.TrySetResult();
        }
    }

    /// <inheritdoc />
    public void Abort()
    {
        if (Interlocked.CompareExchange(ref _state, Aborted, Open) == Open)
        {
            context.Abort();
        }

        _finished.TrySetResult();
    }

    /// <inheritdoc />
    public void Cork() => _corked = true;

    /// <inheritdoc />
    public async ValueTask UncorkAsync()
    {
        _corked = false;
        if (_unflushed > 0)
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes one frame as an event and returns its length in bytes. A <c>ping</c> becomes a comment line; any other
    /// frame becomes <c>event: {type}</c>, <c>id: {seq}</c> when it has one, and its JSON as <c>data</c>, one
    /// <c>data:</c> line per line of it (a sender's payload may hold line breaks as JSON whitespace).
    /// </summary>
    internal static long WriteEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> frame, long seq)
    {
        var type = FrameType(frame);
        if (type.SequenceEqual("ping"u8))
        {
            output.Write(": ping\n\n"u8);
            return 8;
        }

        long written = 0;
        written += Write(output, "event: "u8);
        written += Write(output, type.IsEmpty ? "message"u8 : type);
        if (seq > 0)
        {
            written += Write(output, "\nid: "u8);
            Span<byte> digits = stackalloc byte[20];
            seq.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
            written += Write(output, digits[..length]);
        }

        written += Write(output, "\ndata: "u8);
        var start = 0;
        for (var i = 0; i < frame.Length; i++)
        {
            var b = frame[i];
            if (b is not ((byte)'\r' or (byte)'\n'))
            {
                continue;
            }

            written += Write(output, frame[start..i]);
            written += Write(output, "\ndata: "u8);
            if (b == '\r' && i + 1 < frame.Length && frame[i + 1] == '\n')
            {
                i++;
            }

            start = i + 1;
        }

        written += Write(output, frame[start..]);
        written += Write(output, "\n\n"u8);
        return written;
    }

    /// <summary>The value of a frame's leading <c>"type"</c> member (every server frame starts with it), or empty.</summary>
    private static ReadOnlySpan<byte> FrameType(ReadOnlySpan<byte> frame)
    {
        var prefix = "{\"type\":\""u8;
        if (!frame.StartsWith(prefix))
        {
            return [];
        }

        var rest = frame[prefix.Length..];
        var end = rest.IndexOf((byte)'"');
        return end < 0 ? [] : rest[..end];
    }

    private static int Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        return bytes.Length;
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        _unflushed = 0;
        var result = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled || result.IsCompleted)
        {
            // The client went away (or the response was aborted): the send loop treats it as a lost connection.
            throw new IOException("The event stream's client is gone.");
        }
    }
}
