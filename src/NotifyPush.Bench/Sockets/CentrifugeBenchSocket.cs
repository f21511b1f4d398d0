using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// One user's connection to the Centrifuge peer in Centrifuge's own JSON protocol (as centrifuge-js speaks it): a
/// connect command, then pushes. The peer subscribes the connection to its user's channel on the server side before
/// it answers connect, so the connect reply counts as synced. Each publication's data is NotifyPush's notification
/// frame, read by <see cref="BenchSocket.Parse"/>. Replies arrive newline-separated, several per WebSocket message.
/// Centrifuge has no acknowledgements; the server's WebSocket pings are answered by the client socket itself.
/// </summary>
internal sealed class CentrifugeBenchSocket(int userIndex, string token, SocketFleet fleet) : IBenchSocket
{
    private const int ConnectCommandId = 1;
    private static readonly byte[] ConnectCommand = """{"id":1,"params":{}}"""u8.ToArray();

    private ClientWebSocket? _socket;
    private volatile bool _dropping;
    private byte[] _buffer = new byte[512];

    public int UserIndex { get; } = userIndex;

    public long LastSeq { get; private set; }

    public long Duplicates { get; private set; }

    public long Gaps { get; private set; }

    public async Task<bool> ConnectAsync(Uri endpoint, bool since, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        try
        {
            await socket.ConnectAsync(endpoint, invoker, cancellationToken).ConfigureAwait(false);
            await socket.SendAsync(ConnectCommand, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            fleet.Errors.Add("connect:" + (ex is OperationCanceledException ? "timeout" : ex.GetType().Name));
            socket.Dispose();
            return false;
        }

        _dropping = false;
        _socket = socket;
        _ = ReceiveLoopAsync(socket);
        return true;
    }

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

                var message = _buffer.AsSpan(0, count);
                while (message.Length > 0)
                {
                    var newline = message.IndexOf((byte)'\n');
                    var line = newline < 0 ? message : message[..newline];
                    message = newline < 0 ? [] : message[(newline + 1)..];
                    if (line.Length > 0)
                    {
                        OnReply(line);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException or JsonException)
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
        }
    }

    /// <summary>
    /// One reply: <c>{"id":1,"result":{…}}</c> answers connect; <c>{"result":{"channel":…,"data":{"data":{frame}}}}</c>
    /// (no id, no push type: a publication) carries a notification; an <c>error</c> is counted.
    /// </summary>
    private void OnReply(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        long id = 0;
        var pushType = 0L;
        var frame = default(Range);
        var failed = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                failed = true;
                reader.Read();
                reader.Skip();
            }
            else if (reader.ValueTextEquals("result"u8))
            {
                reader.Read();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("type"u8))
                    {
                        reader.Read();
                        pushType = reader.GetInt64();
                    }
                    else if (reader.ValueTextEquals("data"u8))
                    {
                        reader.Read();
                        frame = PublicationData(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (failed)
        {
            fleet.Errors.Add(id == ConnectCommandId ? "connect:refused" : "reply:error");
        }
        else if (id == ConnectCommandId)
        {
            fleet.OnSynced();
        }
        else if (id == 0 && pushType == 0 && !frame.Equals(default(Range)))
        {
            OnNotification(BenchSocket.Parse(json[frame]));
        }
    }

    /// <summary>Where the publication's <c>data</c> is in the reply, with the reader left at the end of the publication.</summary>
    private static Range PublicationData(ref Utf8JsonReader reader)
    {
        var data = default(Range);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return data;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isData = reader.ValueTextEquals("data"u8);
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (isData)
            {
                data = start..(int)reader.BytesConsumed;
            }
        }

        return data;
    }

    private void OnNotification(ParsedFrame frame)
    {
        if (frame.Kind != FrameKind.Notification)
        {
            return;
        }

        fleet.Latency.RecordSince(frame.SentTimestamp);
        fleet.OnReceived();
        if (frame.Seq <= LastSeq)
        {
            Duplicates++;
            fleet.OnDuplicate();
            return;
        }

        if (frame.Seq > LastSeq + 1)
        {
            Gaps += frame.Seq - LastSeq - 1;
            fleet.OnGap(frame.Seq - LastSeq - 1);
        }

        LastSeq = frame.Seq;
    }
}
