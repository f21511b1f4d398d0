using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>
/// A real HTTP client of <c>GET /sse</c> for tests: parses the <c>text/event-stream</c> in the background as the
/// WHATWG EventSource does (event, id, data lines, comments) and exposes each event's <c>data</c> frame in order, as
/// <see cref="TestSocket"/> does for the socket; a <c>close</c> event or the end of the stream completes <see cref="Closed"/>.
/// </summary>
public sealed class TestEventStream : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly HttpResponseMessage _response;
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly TaskCompletionSource<int> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task? _reading;
    private int _comments;

    private TestEventStream(HttpClient client, HttpResponseMessage response, bool read)
    {
        _client = client;
        _response = response;
        if (read)
        {
            StartReading();
        }
    }

    /// <summary>Starts the background reader (for tests that first let the server's queue fill up).</summary>
    public void StartReading() => _reading ??= Task.Run(ReadLoopAsync);

    /// <summary>The response's headers (content type, caching, proxy buffering).</summary>
    public HttpResponseMessage Response => _response;

    /// <summary>Comment lines (heartbeats) received so far.</summary>
    public int CommentsReceived => Volatile.Read(ref _comments);

    /// <summary>The id of the last event that carried one, as a browser keeps it for <c>Last-Event-ID</c>.</summary>
    public string? LastEventId { get; private set; }

    /// <summary>Every event as (event name, id), in arrival order.</summary>
    public List<(string Event, string? Id)> Events { get; } = [];

    /// <summary>The code of the <c>close</c> event, or 1006 when the stream ended without one.</summary>
    public Task<int> Closed => _closed.Task;

    /// <summary>The reason of the <c>close</c> event, once it came.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Opens the stream for <paramref name="userId"/> with a fresh token in the query (plus <paramref name="query"/>).</summary>
    public static Task<TestEventStream> ConnectAsync(NotifyPushTestServer server, string userId, string? query = null, string? lastEventId = null, bool read = true) =>
        ConnectAsync(server.BaseAddress, $"/sse?access_token={NotifyPushTestServer.UserToken(userId)}{(query is null ? "" : "&" + query)}", request =>
        {
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }
        }, read);

    /// <summary>Opens <paramref name="pathAndQuery"/> and fails the test unless it answers 200 with an event stream.</summary>
    public static async Task<TestEventStream> ConnectAsync(Uri baseAddress, string pathAndQuery, Action<HttpRequestMessage>? configure = null, bool read = true)
    {
        var (client, response) = await OpenAsync(baseAddress, pathAndQuery, configure);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.Dispose();
            client.Dispose();
            throw new Xunit.Sdk.XunitException($"GET /sse answered {(int)response.StatusCode}: {body}");
        }

        return new TestEventStream(client, response, read);
    }

    /// <summary>Opens a stream the server should refuse; returns its status and problem body.</summary>
    public static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> ExpectRefusalAsync(Uri baseAddress, string pathAndQuery, Action<HttpRequestMessage>? configure = null)
    {
        var (client, response) = await OpenAsync(baseAddress, pathAndQuery, configure);
        using (client)
        {
            if (response.StatusCode == HttpStatusCode.OK)
            {
                response.Dispose();
                throw new Xunit.Sdk.XunitException($"GET {pathAndQuery.Split('?')[0]} was accepted but should have been refused.");
            }

            using var timeout = new CancellationTokenSource(TestSocket.DefaultTimeout);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token), response);
        }
    }

    /// <summary>The next frame (an event's data) of any type.</summary>
    public async Task<JsonElement> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TestSocket.DefaultTimeout);
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No event arrived within {(timeout ?? TestSocket.DefaultTimeout).TotalSeconds} s.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The stream ended (code {(Closed.IsCompleted ? Closed.Result : 0)}) before the next event.");
        }
    }

    /// <summary>Reads the welcome, the replay and the synced event; returns the replayed notifications and synced.</summary>
    public Task<(List<JsonElement> Replayed, JsonElement Synced)> ReadUntilSyncedAsync(TimeSpan? timeout = null) =>
        FrameReads.ReadUntilSyncedAsync(left => NextAsync(left), timeout ?? TestSocket.DefaultTimeout);

    /// <summary>Reads until <paramref name="count"/> notifications arrived (skipping other types) and returns them.</summary>
    public Task<List<JsonElement>> ReadNotificationsAsync(int count, TimeSpan? timeout = null) =>
        FrameReads.ReadNotificationsAsync(left => NextAsync(left), count, timeout ?? TestSocket.DefaultTimeout);

    /// <summary>Skips frames until one of <paramref name="type"/> arrives and returns it.</summary>
    public Task<JsonElement> NextOfTypeAsync(string type, TimeSpan? timeout = null) =>
        FrameReads.NextOfTypeAsync(left => NextAsync(left), type, timeout ?? TestSocket.DefaultTimeout);

    /// <summary>Waits for the stream to end and returns the close event's code (1006 without one).</summary>
    public async Task<int> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        StartReading();
        try
        {
            return await Closed.WaitAsync(timeout ?? TestSocket.DefaultTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The server did not end the stream within {(timeout ?? TestSocket.DefaultTimeout).TotalSeconds} s.");
        }
    }

    /// <summary>POSTs <c>{"seq":N}</c> to <c>/sse/ack</c> with the user's token as a bearer header.</summary>
    public static async Task<HttpResponseMessage> AckAsync(NotifyPushTestServer server, string token, string body)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TestSocket.DefaultTimeout };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sse/ack") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _response.Dispose();
        if (_reading is not null)
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(5));
        }

        _client.Dispose();
    }

    private static async Task<(HttpClient Client, HttpResponseMessage Response)> OpenAsync(Uri baseAddress, string pathAndQuery, Action<HttpRequestMessage>? configure)
    {
        // A client of its own per stream, over real sockets: the stream holds its connection for its whole life.
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.ParseAdd("text/event-stream");
        configure?.Invoke(request);
        using var timeout = new CancellationTokenSource(TestSocket.DefaultTimeout);
        try
        {
            return (client, await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token));
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            await using var body = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var reader = new StreamReader(body, Encoding.UTF8);
            string? eventName = null;
            string? id = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0 || eventName is not null)
                    {
                        Dispatch(eventName ?? "message", id, data.ToString());
                    }

                    eventName = null;
                    id = null;
                    data.Clear();
                    continue;
                }

                if (line[0] == ':')
                {
                    Interlocked.Increment(ref _comments);
                    continue;
                }

                var colon = line.IndexOf(':');
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                switch (field)
                {
                    case "event":
                        eventName = value;
                        break;
                    case "id":
                        id = value;
                        LastEventId = value;
                        break;
                    case "data":
                        if (data.Length > 0)
                        {
                            data.Append('\n');
                        }

                        data.Append(value);
                        break;
                }
            }

            _closed.TrySetResult(1006);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or HttpRequestException)
        {
            _closed.TrySetResult(1006);
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    private void Dispatch(string eventName, string? id, string data)
    {
        var frame = JsonDocument.Parse(data).RootElement.Clone();
        lock (Events)
        {
            Events.Add((eventName, id));
        }

        if (eventName == "close")
        {
            CloseReason = frame.GetProperty("reason").GetString();
            _closed.TrySetResult(frame.GetProperty("code").GetInt32());
            return;
        }

        _frames.Writer.TryWrite(frame);
    }
}
