using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// One user's socket, kept lean so one process holds 10,000 of them: a 512-byte receive buffer, a frame parser over
/// the received bytes, a pong for every ping and a cumulative ack for every notification (as the browser client does).
/// Records POST→receipt latency from the send timestamp carried in the payload (<c>{"t":…}</c>).
/// </summary>
internal sealed class BenchSocket(int userIndex, string userId, string token, SocketFleet fleet) : IBenchSocket
{
    private static readonly byte[] Pong = """{"type":"pong"}"""u8.ToArray();

    private ClientWebSocket? _socket;
    private readonly ReceivedSeqs _received = new(fleet);
    private volatile bool _dropping;
    private byte[] _buffer = new byte[512];
    private Uri? _endpoint;
    private HttpMessageInvoker? _invoker;

    public int UserIndex { get; } = userIndex;

    public string UserId { get; } = userId;

    /// <summary>The highest seq received; the resume point of a reconnect.</summary>
    public long LastSeq => _received.Last;

    public long Duplicates => _received.Duplicates;

    public long Gaps => _received.Gaps;

    /// <summary>Opens the socket and starts its receive loop; false (with the error counted) when the handshake fails.</summary>
    public async Task<bool> ConnectAsync(Uri endpoint, bool since, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        _endpoint = endpoint;
        _invoker = invoker;
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        var uri = since ? new Uri(endpoint + "?since=" + LastSeq.ToString(CultureInfo.InvariantCulture)) : endpoint;
        try
        {
            await socket.ConnectAsync(uri, invoker, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            fleet.Errors.Add("connect:" + Describe(socket, ex));
            socket.Dispose();
            return false;
        }

        _dropping = false;
        _socket = socket;
        _ = ReceiveLoopAsync(socket);
        return true;
    }

    /// <summary>Drops the connection without a close handshake, as a network blip or a sleeping laptop would.</summary>
    public void Drop()
    {
        _dropping = true;
        _socket?.Abort();
    }

    private async Task ReceiveLoopAsync(ClientWebSocket socket)
    {
        fleet.OnOpened();
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == _buffer.Length)
                    {
                        Array.Resize(ref _buffer, _buffer.Length * 2);
                    }

                    result = await socket.ReceiveAsync(_buffer.AsMemory(count), CancellationToken.None).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        if (!_dropping)
                        {
                            fleet.Errors.Add("closed:" + ((int?)socket.CloseStatus)?.ToString(CultureInfo.InvariantCulture));
                        }

                        return;
                    }

                    count += result.Count;
                }
                while (!result.EndOfMessage);

                await OnFrameAsync(socket, count).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_dropping)
            {
                fleet.Errors.Add("socket:" + ex.GetType().Name);
            }
        }
        finally
        {
            fleet.OnClosed();
            socket.Dispose();
            if (fleet.Resume && !_dropping)
            {
                _ = _received.ResumeAsync(() => ConnectAsync(_endpoint!, since: true, _invoker!, CancellationToken.None), () => _dropping);
            }
        }
    }

    private async ValueTask OnFrameAsync(ClientWebSocket socket, int count)
    {
        var frame = Parse(_buffer.AsSpan(0, count));
        switch (frame.Kind)
        {
            case FrameKind.Notification:
                if (!_received.Record(frame.Seq, frame.SentTimestamp))
                {
                    return;
                }

                await SendAsync(socket, Encoding.UTF8.GetBytes($$"""{"type":"ack","seq":{{frame.Seq}}}""")).ConfigureAwait(false);
                return;
            case FrameKind.Synced:
                fleet.OnSynced();
                return;
            case FrameKind.Ping:
                await SendAsync(socket, Pong).ConfigureAwait(false);
                return;
        }
    }

    private async ValueTask SendAsync(ClientWebSocket socket, byte[] frame)
    {
        // Only the receive loop sends, so sends never overlap.
        await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Reads <c>type</c>, <c>seq</c> and the payload's <c>t</c> (a <see cref="Stopwatch"/> timestamp).</summary>
    internal static ParsedFrame Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var kind = FrameKind.Other;
        long seq = 0, sent = 0;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return new ParsedFrame(FrameKind.Other, 0, 0);
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                kind = reader.ValueTextEquals("notification"u8) ? FrameKind.Notification
                    : reader.ValueTextEquals("ping"u8) ? FrameKind.Ping
                    : reader.ValueTextEquals("synced"u8) ? FrameKind.Synced
                    : reader.ValueTextEquals("welcome"u8) ? FrameKind.Welcome
                    : FrameKind.Other;
            }
            else if (reader.ValueTextEquals("seq"u8))
            {
                reader.Read();
                seq = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isTimestamp = reader.ValueTextEquals("t"u8);
                        reader.Read();
                        if (isTimestamp && reader.TokenType == JsonTokenType.Number)
                        {
                            sent = reader.GetInt64();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new ParsedFrame(kind, seq, sent);
    }

    private static string Describe(ClientWebSocket socket, Exception ex)
    {
        if (socket.HttpStatusCode is var status && status != 0 && status != HttpStatusCode.SwitchingProtocols)
        {
            return ((int)status).ToString(CultureInfo.InvariantCulture);
        }

        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socketError)
            {
                return socketError.SocketErrorCode.ToString().ToLowerInvariant();
            }
        }

        return ex is OperationCanceledException ? "timeout" : ex.GetType().Name;
    }
}

internal enum FrameKind : byte
{
    Other,
    Welcome,
    Notification,
    Synced,
    Ping,
}

internal readonly record struct ParsedFrame(FrameKind Kind, long Seq, long SentTimestamp);
