using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// One logical client of a user (a browser tab that outlives its sockets), written the way the contract tells
/// clients to behave: it connects to a random replica with <c>since</c> = the last seq it received, answers pings,
/// acknowledges every notification as it arrives, and on 1001/1006/1011/1012/4008 (or a refused handshake) reconnects to another
/// random replica after a jittered backoff. It keeps every seq it ever received, across all its sockets, so a test
/// can check the stream it saw is exactly 1..N.
/// </summary>
public sealed class ResumingClient : IAsyncDisposable
{
    /// <summary>Close codes after which the contract says: reconnect elsewhere with since.</summary>
    public static readonly IReadOnlySet<int> ReconnectCodes = new HashSet<int> { 1001, 1006, 1011, 1012, 4008 };

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CloseReplyTimeout = TimeSpan.FromSeconds(2);

    // No frame for this long means the socket is dead even without a FIN: replicas ping every few seconds.
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(20);

    private static readonly byte[] Pong = """{"type":"pong"}"""u8.ToArray();

    private readonly TestCluster _cluster;
    private readonly Random _random;
    private readonly string _token;
    private readonly List<long> _received = [];
    private readonly ConcurrentQueue<SocketClose> _closes = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _sync = new();
    private readonly Task _running;

    // Under _sync: the open socket, where it is, and whether the test disrupted it on purpose.
    private ClientWebSocket? _socket;
    private ClusterReplica? _replica;
    private SemaphoreSlim? _sendLock;
    private bool _disrupted;

    private long _lastSeq;
    private int _connects;
    private int _refusedConnects;
    private int _disruptions;

    /// <summary>Creates the client and starts its first connection (resuming after seq 0).</summary>
    public ResumingClient(TestCluster cluster, string userId, int seed)
    {
        _cluster = cluster;
        _random = new Random(seed);
        UserId = userId;
        _token = TestServer.UserToken(userId, TimeSpan.FromMinutes(30));
        _running = Task.Run(RunAsync);
    }

    public string UserId { get; }

    /// <summary>The highest seq received so far.</summary>
    public long LastSeq => Interlocked.Read(ref _lastSeq);

    /// <summary>Successful handshakes (the first connection included).</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>Handshakes that failed: replica gone, draining (503), timeouts.</summary>
    public int RefusedConnects => Volatile.Read(ref _refusedConnects);

    /// <summary>Sockets the test cut or closed on purpose.</summary>
    public int Disruptions => Volatile.Read(ref _disruptions);

    /// <summary>How each socket ended, in order.</summary>
    public IReadOnlyCollection<SocketClose> Closes => _closes.ToArray();

    /// <summary>Protocol breaches the client saw: unexpected close codes, synced not recovered, synced at a wrong seq.</summary>
    public IReadOnlyCollection<string> Problems => _problems.ToArray();

    /// <summary>The replica the open socket is connected to, if any.</summary>
    public ClusterReplica? CurrentReplica
    {
        get
        {
            lock (_sync)
            {
                return _replica;
            }
        }
    }

    /// <summary>Every seq received, in arrival order, across all sockets.</summary>
    public long[] ReceivedSeqs()
    {
        lock (_received)
        {
            return [.. _received];
        }
    }

    /// <summary>
    /// Ends the current socket as a network blip would (<paramref name="abort"/>: the TCP connection is dropped) or
    /// as a closing tab would (a 1000 close frame); the client then reconnects to a random replica.
    /// </summary>
    /// <returns>False when no socket was open.</returns>
    public bool Disrupt(bool abort)
    {
        ClientWebSocket socket;
        SemaphoreSlim sendLock;
        lock (_sync)
        {
            if (_socket is null || _disrupted)
            {
                return false;
            }

            _disrupted = true;
            socket = _socket;
            sendLock = _sendLock!;
        }

        Interlocked.Increment(ref _disruptions);
        if (abort)
        {
            socket.Abort();
        }
        else
        {
            _ = CloseNormallyAsync(socket, sendLock);
        }

        return true;
    }

    /// <summary>Checks what this client received against the store's stream of its user, 1..<paramref name="lastSeq"/>.</summary>
    public DeliveryAudit Audit(long lastSeq) => DeliveryAudit.Of(UserId, ReceivedSeqs(), lastSeq, Problems);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        lock (_sync)
        {
            _socket?.Abort();
        }

        await _running.WaitAsync(TimeSpan.FromSeconds(15));
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            ClusterReplica replica;
            try
            {
                replica = _cluster.PickReplica(_random);
            }
            catch (InvalidOperationException)
            {
                await BackoffAsync();
                continue;
            }

            var socket = new ClientWebSocket();
            // The application heartbeat (ping/pong frames) is the liveness check, as for a browser.
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(replica.SocketUri(_token, LastSeq), timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
            {
                socket.Dispose();
                if (_stop.IsCancellationRequested)
                {
                    break;
                }

                Interlocked.Increment(ref _refusedConnects);
                await BackoffAsync();
                continue;
            }

            // Never disposed: a close the test asked for may still wait on it after the socket is gone.
            var sendLock = new SemaphoreSlim(1, 1);
            lock (_sync)
            {
                _socket = socket;
                _replica = replica;
                _sendLock = sendLock;
                _disrupted = false;
            }

            Interlocked.Increment(ref _connects);
            var (code, reason) = await ReadUntilClosedAsync(socket, sendLock);
            bool disrupted;
            lock (_sync)
            {
                disrupted = _disrupted;
                _socket = null;
                _replica = null;
                _sendLock = null;
            }

            socket.Dispose();
            if (_stop.IsCancellationRequested)
            {
                break;
            }

            _closes.Enqueue(new SocketClose(replica.Name, code, disrupted));
            if (!disrupted)
            {
                if (!ReconnectCodes.Contains(code))
                {
                    _problems.Enqueue($"{UserId}: {replica.Name} closed the socket with {code} (\"{reason}\"), which is not a reconnect code.");
                }

                await BackoffAsync();
            }
        }
    }

    /// <summary>Reads frames until the socket ends; returns the server's close code and reason, or 1006 when none came.</summary>
    private async Task<(int Code, string? Reason)> ReadUntilClosedAsync(ClientWebSocket socket, SemaphoreSlim sendLock)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            while (true)
            {
                message.SetLength(0);
                ValueWebSocketReceiveResult result;
                do
                {
                    idle.CancelAfter(IdleTimeout);
                    result = await socket.ReceiveAsync(buffer.AsMemory(), idle.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        var code = (int?)socket.CloseStatus ?? 1005;
                        await ReplyToCloseAsync(socket, sendLock);
                        return (code, socket.CloseStatusDescription);
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                await HandleAsync(socket, sendLock, message.GetBuffer().AsMemory(0, (int)message.Length));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or TimeoutException)
        {
            return (1006, ex.Message);
        }
    }

    private async Task HandleAsync(ClientWebSocket socket, SemaphoreSlim sendLock, ReadOnlyMemory<byte> frame)
    {
        using var document = JsonDocument.Parse(frame);
        var root = document.RootElement;
        switch (root.GetProperty("type").GetString())
        {
            case "notification":
                var seq = root.GetProperty("seq").GetInt64();
                lock (_received)
                {
                    _received.Add(seq);
                    if (seq > _lastSeq)
                    {
                        Interlocked.Exchange(ref _lastSeq, seq);
                    }
                }

                // At once, as a tab that marks what it shows as read: the ack races the server's send loop (which
                // must already count the seq as sent) and, in the store, other replicas' appends.
                await SendAsync(socket, sendLock, Encoding.UTF8.GetBytes($$"""{"type":"ack","seq":{{seq}}}"""));

                break;
            case "ping":
                await SendAsync(socket, sendLock, Pong);
                break;
            case "synced":
                var synced = root.GetProperty("seq").GetInt64();
                if (!root.GetProperty("recovered").GetBoolean())
                {
                    _problems.Enqueue($"{UserId}: synced at {synced} with recovered:false (client at {LastSeq}).");
                }
                else if (synced != LastSeq)
                {
                    _problems.Enqueue($"{UserId}: synced at {synced} but the client's last seq is {LastSeq}.");
                }

                break;
        }
    }

    private static Task SendAsync(ClientWebSocket socket, SemaphoreSlim sendLock, ReadOnlyMemory<byte> frame) =>
        UnderLockAsync(sendLock, SendTimeout, token => socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, token).AsTask());

    private static async Task ReplyToCloseAsync(ClientWebSocket socket, SemaphoreSlim sendLock)
    {
        if (socket.State != WebSocketState.CloseReceived)
        {
            return; // This side closed first; the handshake is complete.
        }

        try
        {
            await UnderLockAsync(sendLock, CloseReplyTimeout, token => socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, token));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // The server gave up on the handshake meanwhile; either way the socket is done.
        }
    }

    private static async Task CloseNormallyAsync(ClientWebSocket socket, SemaphoreSlim sendLock)
    {
        try
        {
            await UnderLockAsync(sendLock, SendTimeout, token => socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "tab closed", token));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // The socket ended meanwhile; the read loop reconnects either way.
        }
    }

    /// <summary>One write at a time per socket (ClientWebSocket allows one pending send), each bounded.</summary>
    private static async Task UnderLockAsync(SemaphoreSlim sendLock, TimeSpan timeout, Func<CancellationToken, Task> write)
    {
        if (!await sendLock.WaitAsync(timeout))
        {
            throw new TimeoutException($"Another write held the socket for {timeout.TotalSeconds} s.");
        }

        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            await write(cancel.Token);
        }
        finally
        {
            sendLock.Release();
        }
    }

    private async Task BackoffAsync()
    {
        try
        {
            // Jittered, as the contract asks of clients, so reconnects after a drain do not arrive in one burst.
            await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(10, 100)), _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>How one socket of a <see cref="ResumingClient"/> ended.</summary>
/// <param name="Replica">The replica it was connected to.</param>
/// <param name="Code">The server's close code, 1006 when the connection dropped without one.</param>
/// <param name="Disrupted">True when the test cut or closed it.</param>
public sealed record SocketClose(string Replica, int Code, bool Disrupted);
