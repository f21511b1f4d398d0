using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// One user's Server-Sent Events stream (<c>GET /sse</c>), NotifyPush's fallback for a browser that cannot open a
/// WebSocket: reads the events line by line, records POST→receipt latency as <see cref="BenchSocket"/> does and
/// acknowledges every notification with a <c>POST /sse/ack</c>, as notifypush.js does over this transport. The
/// heartbeats are comment lines and need no answer.
/// </summary>
internal sealed class EventStreamBenchSocket(int userIndex, string token, SocketFleet fleet) : IBenchSocket
{
    private CancellationTokenSource? _stream;
    private readonly ReceivedSeqs _received = new(fleet);
    private volatile bool _dropping;
    private Uri? _endpoint;
    private HttpMessageInvoker? _invoker;

    public int UserIndex { get; } = userIndex;

    /// <summary>The highest seq received; the resume point of a reconnect.</summary>
    public long LastSeq => _received.Last;

    public long Duplicates => _received.Duplicates;

    public long Gaps => _received.Gaps;

    public async Task<bool> ConnectAsync(Uri endpoint, bool since, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        _endpoint = endpoint;
        _invoker = invoker;
        var uri = since ? new Uri(endpoint + "?since=" + LastSeq.ToString(CultureInfo.InvariantCulture)) : endpoint;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var stream = new CancellationTokenSource();
        HttpResponseMessage response;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stream.Token);
            response = await invoker.SendAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or SocketException)
        {
            fleet.Errors.Add("connect:" + (ex is OperationCanceledException ? "timeout" : ex.GetType().Name));
            stream.Dispose();
            return false;
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            fleet.Errors.Add("connect:" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            response.Dispose();
            stream.Dispose();
            return false;
        }

        _dropping = false;
        _stream = stream;
        _ = ReadLoopAsync(response, stream);
        return true;
    }

    /// <summary>Drops the stream without a goodbye, as a network blip would.</summary>
    public void Drop()
    {
        _dropping = true;
        _stream?.Cancel();
    }

    private async Task ReadLoopAsync(HttpResponseMessage response, CancellationTokenSource stream)
    {
        fleet.OnOpened();
        try
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stream.Token).ConfigureAwait(false), Encoding.UTF8, false, 512);
            string? type = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(stream.Token).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0 && !await OnEventAsync(type, data.ToString()).ConfigureAwait(false))
                    {
                        return;
                    }

                    type = null;
                    data.Clear();
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    type = line[6..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Append(line.AsSpan(line.Length > 5 && line[5] == ' ' ? 6 : 5));
                }
            }

            if (!_dropping)
            {
                fleet.Errors.Add("closed:eof");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_dropping)
            {
                fleet.Errors.Add("stream:" + ex.GetType().Name);
            }
        }
        finally
        {
            fleet.OnClosed();
            response.Dispose();
            stream.Dispose();
            if (fleet.Resume && !_dropping)
            {
                _ = _received.ResumeAsync(() => ConnectAsync(_endpoint!, since: true, _invoker!, CancellationToken.None), () => _dropping);
            }
        }
    }

    /// <summary>Handles one event; false when the server ended the stream with a close event.</summary>
    private async ValueTask<bool> OnEventAsync(string? type, string data)
    {
        if (type == "close")
        {
            if (!_dropping)
            {
                fleet.Errors.Add("closed:" + data);
            }

            return false;
        }

        var frame = BenchSocket.Parse(Encoding.UTF8.GetBytes(data));
        switch (frame.Kind)
        {
            case FrameKind.Notification:
                if (!_received.Record(frame.Seq, frame.SentTimestamp))
                {
                    return true;
                }

                await AckAsync(frame.Seq).ConfigureAwait(false);
                return true;
            case FrameKind.Synced:
                fleet.OnSynced();
                return true;
            default:
                return true;
        }
    }

    private async Task AckAsync(long seq)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_endpoint!, "/sse/ack"))
        {
            Content = new StringContent($$"""{"seq":{{seq}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await _invoker!.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.NoContent && response.StatusCode != HttpStatusCode.OK && response.StatusCode != HttpStatusCode.Accepted)
            {
                fleet.Errors.Add("ack:" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            fleet.Errors.Add("ack:" + ex.GetType().Name);
        }
    }
}
