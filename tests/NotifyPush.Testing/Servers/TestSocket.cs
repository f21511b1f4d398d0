using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace NotifyPush.Testing;

/// <summary>
/// A real WebSocket client of the protocol for tests: reads frames in the background (answering pings unless
/// told not to), exposes them in order, and records how the server closed the socket.
/// </summary>
public sealed class TestSocket : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource<int> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task? _reading;

    private TestSocket(ClientWebSocket socket, bool answerPings)
    {
        _socket = socket;
        AnswerPings = answerPings;
    }

    /// <summary>When false, pings are left unanswered (to test the heartbeat timeout).</summary>
    public bool AnswerPings { get; set; }

    private int _pings;

    /// <summary>Pings received so far.</summary>
    public int PingsReceived => Volatile.Read(ref _pings);

    /// <summary>Every notification frame's seq, in arrival order.</summary>
    public List<long> ReceivedSeqs { get; } = [];

    /// <summary>The close code the server sent (1006 when the connection dropped without one).</summary>
    public Task<int> Closed => _closed.Task;

    /// <summary>Opens a socket for <paramref name="userId"/> with a fresh token in the query (or the given query).</summary>
    public static Task<TestSocket> ConnectAsync(NotifyPushTestServer server, string userId, string? query = null, bool read = true, bool answerPings = true) =>
        ConnectAsync(server.SocketUri(query ?? $"access_token={NotifyPushTestServer.UserToken(userId)}"), read, answerPings);

    public static async Task<TestSocket> ConnectAsync(Uri uri, bool read = true, bool answerPings = true, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        var client = new TestSocket(socket, answerPings);
        if (read)
        {
            client.StartReading();
        }

        return client;
    }

    /// <summary>Attempts a handshake that the server should refuse; returns the HTTP status it answered.</summary>
    public static async Task<HttpStatusCode> ExpectRefusalAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }

        throw new Xunit.Sdk.XunitException($"The handshake to {uri.GetLeftPart(UriPartial.Path)} was accepted (HTTP {(int)socket.HttpStatusCode}) but should have been refused.");
    }

    /// <summary>Starts the background reader (for tests that first let the server's queue fill up).</summary>
    public void StartReading() => _reading ??= Task.Run(ReadLoopAsync);

    /// <summary>The next frame of any type except ping.</summary>
    public async Task<JsonElement> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                if (frame.GetProperty("type").GetString() != "ping")
                {
                    return frame;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame arrived within {(timeout ?? DefaultTimeout).TotalSeconds} s.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The socket closed (code {(Closed.IsCompleted ? Closed.Result : 0)}) before the next frame.");
        }
    }

    /// <summary>Skips frames until one of <paramref name="type"/> arrives and returns it.</summary>
    public Task<JsonElement> NextOfTypeAsync(string type, TimeSpan? timeout = null) =>
        FrameReads.NextOfTypeAsync(left => NextAsync(left), type, timeout ?? DefaultTimeout);

    /// <summary>Reads until <paramref name="count"/> notification frames arrived (skipping other types) and returns them.</summary>
    public Task<List<JsonElement>> ReadNotificationsAsync(int count, TimeSpan? timeout = null) =>
        FrameReads.ReadNotificationsAsync(left => NextAsync(left), count, timeout ?? DefaultTimeout);

    /// <summary>Reads the welcome, the replay and the synced frame; returns the replayed notifications and synced.</summary>
    public Task<(List<JsonElement> Replayed, JsonElement Synced)> ReadUntilSyncedAsync(TimeSpan? timeout = null) =>
        FrameReads.ReadUntilSyncedAsync(left => NextAsync(left), timeout ?? DefaultTimeout);

    public Task SendTextAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public Task AckAsync(long seq) => SendTextAsync($$"""{"type":"ack","seq":{{seq}}}""");

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await _socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Waits for the server to close the socket and returns its close code.</summary>
    public async Task<int> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        StartReading();
        try
        {
            return await Closed.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The server did not close the socket within {(timeout ?? DefaultTimeout).TotalSeconds} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                // Wait for the server's answering close frame before the abort below: an abort right after the close
                // frame can reset the connection before the server has read it, and the server then counts a lost
                // connection (1006) instead of the client's 1000.
                if (_reading is not null)
                {
                    await _closed.Task.WaitAsync(TimeSpan.FromSeconds(2));
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
            {
            }
        }

        _stop.Cancel();
        _socket.Abort();
        if (_reading is not null)
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(5));
        }

        _socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(), _stop.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        _closed.TrySetResult((int?)_socket.CloseStatus ?? 1005);
                        return;
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                var frame = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
                var type = frame.GetProperty("type").GetString();
                if (type == "ping")
                {
                    Interlocked.Increment(ref _pings);
                    if (AnswerPings)
                    {
                        await SendTextAsync("""{"type":"pong"}""");
                    }
                }
                else if (type == "notification")
                {
                    lock (ReceivedSeqs)
                    {
                        ReceivedSeqs.Add(frame.GetProperty("seq").GetInt64());
                    }
                }

                await _frames.Writer.WriteAsync(frame);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _closed.TrySetResult(1006);
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }
}
