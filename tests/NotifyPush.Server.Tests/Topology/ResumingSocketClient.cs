using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests.Topology;

/// <summary>
/// A browser tab as the protocol asks it to behave: holds one socket, answers pings, and whenever the socket
/// ends (close frame or dropped connection) reconnects after a short jittered pause with <c>since</c> set to the
/// last seq it has. Records every notification seq, every close and every handshake.
/// </summary>
public sealed class ResumingSocketClient : IAsyncDisposable
{
    /// <summary>What a dropped connection without a close frame is reported as (RFC 6455 1006).</summary>
    public const int AbnormalClosure = 1006;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly Func<long?, Uri> _uriFor;
    private readonly object _gate = new();
    private readonly List<long> _seqs = [];
    private readonly List<int> _closeCodes = [];
    private readonly List<string> _events = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;
    private long? _position;
    private int _synced;

    /// <param name="uriFor">The socket address for a resume point (null: no <c>since</c>, the first connect).</param>
    public ResumingSocketClient(Func<long?, Uri> uriFor) => _uriFor = uriFor;

    /// <summary>Notification seqs in arrival order, duplicates included (there must be none).</summary>
    public IReadOnlyList<long> Seqs
    {
        get
        {
            lock (_gate)
            {
                return [.. _seqs];
            }
        }
    }

    /// <summary>How each socket ended, in order: the server's close code, or 1006 when the connection dropped.</summary>
    public IReadOnlyList<int> CloseCodes
    {
        get
        {
            lock (_gate)
            {
                return [.. _closeCodes];
            }
        }
    }

    /// <summary>Handshakes, closes and refusals in order, for the failure report.</summary>
    public string History
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _events);
            }
        }
    }

    /// <summary>Sockets that reached <c>synced</c>.</summary>
    public int SyncedCount => Volatile.Read(ref _synced);

    public void Start() => _running ??= Task.Run(RunAsync);

    /// <summary>Waits until <paramref name="condition"/> holds for this client, failing with its history after <paramref name="timeout"/>.</summary>
    public Task WaitUntilAsync(Func<ResumingSocketClient, bool> condition, string what, TimeSpan timeout) =>
        Poll.UntilAsync(() => condition(this), what, timeout, () => $"client history:\n{History}");

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_running is not null)
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var since = _position;
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                connectTimeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(_uriFor(since), connectTimeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                Record($"handshake (since={since?.ToString() ?? "-"}) failed: HTTP {(int)socket.HttpStatusCode} {ex.Message}");
                await PauseAsync();
                continue;
            }

            Record($"connected (since={since?.ToString() ?? "-"})");
            var code = await ReadUntilClosedAsync(socket);
            lock (_gate)
            {
                _closeCodes.Add(code);
            }

            Record($"closed {code}");
            await PauseAsync();
        }

        async Task PauseAsync()
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 + Random.Shared.Next(200)), _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task<int> ReadUntilClosedAsync(ClientWebSocket socket)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.GetMemory(4096), _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseQuietlyAsync(socket);
                    return (int?)socket.CloseStatus ?? AbnormalClosure;
                }

                buffer.Advance(result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                await OnFrameAsync(socket, buffer.WrittenMemory);
                buffer.ResetWrittenCount();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            await CloseQuietlyAsync(socket);
            return (int)WebSocketCloseStatus.NormalClosure;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException)
        {
            return AbnormalClosure;
        }
    }

    private async Task OnFrameAsync(ClientWebSocket socket, ReadOnlyMemory<byte> frame)
    {
        using var document = JsonDocument.Parse(frame);
        var root = document.RootElement;
        switch (root.GetProperty("type").GetString())
        {
            case "notification":
                var seq = root.GetProperty("seq").GetInt64();
                lock (_gate)
                {
                    _seqs.Add(seq);
                    _position = Math.Max(_position ?? 0, seq);
                }

                break;
            case "synced":
                lock (_gate)
                {
                    _position = Math.Max(_position ?? 0, root.GetProperty("seq").GetInt64());
                }

                Interlocked.Increment(ref _synced);
                Record($"synced at {root.GetProperty("seq").GetInt64()}, recovered={root.GetProperty("recovered").GetBoolean()}");
                break;
            case "ping":
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"pong"}"""), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
                }

                break;
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The other side is already gone; the close is recorded by the caller either way.
        }
    }

    private void Record(string text)
    {
        lock (_gate)
        {
            _events.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {text}");
        }
    }
}
