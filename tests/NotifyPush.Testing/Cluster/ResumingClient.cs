using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace NotifyPush.Testing;

/// <summary>
/// One logical client of a user (a browser tab that outlives its sockets), written the way the contract tells
/// clients to behave: it connects with <c>since</c> = the last seq it has, answers pings, and whenever the socket
/// ends (a close frame, a dropped connection, a refused handshake) reconnects after a jittered backoff. Against a
/// <see cref="TestCluster"/> it picks a random replica in rotation each time and acknowledges every notification as it
/// arrives; against one address (a load balancer) it connects there. It keeps every seq it ever received, across all
/// its sockets, every close and every handshake, so a test can check the stream it saw is exactly 1..N.
/// </summary>
public sealed partial class ResumingClient : IAsyncDisposable
{
    /// <summary>Close codes after which the contract says: reconnect elsewhere with since.</summary>
    public static readonly IReadOnlySet<int> ReconnectCodes = new HashSet<int> { 1001, 1006, 1011, 1012, 4008 };

    /// <summary>What a dropped connection without a close frame is reported as (RFC 6455 1006).</summary>
    public const int AbnormalClosure = 1006;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CloseReplyTimeout = TimeSpan.FromSeconds(2);

    // No frame for this long means the socket is dead even without a FIN: a TestCluster's replicas ping every few seconds.
    private static readonly TimeSpan ClusterIdleTimeout = TimeSpan.FromSeconds(20);

    private static readonly byte[] Pong = """{"type":"pong"}"""u8.ToArray();

    private readonly Func<long?, Target?> _pickTarget;
    private readonly Random _random;
    private readonly bool _acknowledge;
    private readonly TimeSpan? _idleTimeout;
    private readonly (int Min, int Max) _backoffMilliseconds;
    private readonly List<long> _received = [];
    private readonly ConcurrentQueue<SocketClose> _closes = new();
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentQueue<string> _history = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _sync = new();
    private Task? _running;

    // Under _sync: the open socket, where it is, and whether the test disrupted it on purpose.
    private ClientWebSocket? _socket;
    private ClusterReplica? _replica;
    private SemaphoreSlim? _sendLock;
    private bool _disrupted;

    // Null until the first notification or synced frame when the first socket was opened without since.
    private long? _position;
    private long _lastSeq;
    private int _connects;
    private int _synced;
    private int _refusedConnects;
    private int _disruptions;

    /// <summary>
    /// A client of <paramref name="cluster"/>'s replicas: created connecting (resuming after seq 0) to a random replica
    /// in rotation, acknowledging every notification, treating 20 s without a frame as a dead socket.
    /// </summary>
    public ResumingClient(TestCluster cluster, string userId, int seed)
    {
        var token = NotifyPushTestServer.UserToken(userId, TimeSpan.FromMinutes(30));
        _random = new Random(seed);
        _pickTarget = since =>
        {
            try
            {
                var replica = cluster.PickReplica(_random);
                return new Target(replica.Name, replica.SocketUri(token, since), replica);
            }
            catch (InvalidOperationException)
            {
                return null; // No replica in rotation now.
            }
        };
        _position = 0;
        _acknowledge = true;
        _idleTimeout = ClusterIdleTimeout;
        _backoffMilliseconds = (10, 100);
        UserId = userId;
        Start();
    }

    /// <summary>
    /// A client of one address (a load balancer in front of the replicas), started with <see cref="Start"/>: the first
    /// socket has no <c>since</c>, later ones resume after the last seq received or synced. It does not acknowledge.
    /// </summary>
    /// <param name="uriFor">The socket address for a resume point (null: no <c>since</c>, the first connect).</param>
    public ResumingClient(Func<long?, Uri> uriFor)
    {
        _random = new Random();
        _pickTarget = since => new Target("endpoint", uriFor(since), null);
        _position = null;
        _acknowledge = false;
        _idleTimeout = null;
        _backoffMilliseconds = (100, 300);
        UserId = "endpoint";
    }

    public string UserId { get; }

    /// <summary>Starts connecting; once only (the cluster constructor has started it already).</summary>
    public void Start()
    {
        lock (_sync)
        {
            _running ??= Task.Run(RunAsync);
        }
    }

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

    /// <summary>Each socket's close code in order: the server's, or 1006 when the connection dropped without one.</summary>
    public IReadOnlyList<int> CloseCodes => [.. _closes.Select(close => close.Code)];

    /// <summary>Notification seqs in arrival order, duplicates included (there must be none).</summary>
    public IReadOnlyList<long> Seqs => ReceivedSeqs();

    /// <summary>Sockets that reached <c>synced</c>.</summary>
    public int SyncedCount => Volatile.Read(ref _synced);

    /// <summary>Handshakes, closes and refusals in order, for the failure report.</summary>
    public string History => string.Join('\n', _history);

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

    /// <summary>Waits until <paramref name="condition"/> holds for this client, failing with its history after <paramref name="timeout"/>.</summary>
    public Task WaitUntilAsync(Func<ResumingClient, bool> condition, string what, TimeSpan timeout) =>
        Poll.UntilAsync(() => condition(this), what, timeout, () => $"client history:\n{History}");

    /// <summary>Checks what this client received against the store's stream of its user, 1..<paramref name="lastSeq"/>.</summary>
    public DeliveryAudit Audit(long lastSeq) => DeliveryAudit.Of(UserId, ReceivedSeqs(), lastSeq, Problems);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        lock (_sync)
        {
            _socket?.Abort();
        }

        if (_running is not null)
        {
            await _running.WaitAsync(TimeSpan.FromSeconds(15));
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var since = Position;
            if (_pickTarget(since) is not { } target)
            {
                await BackoffAsync();
                continue;
            }

            var socket = new ClientWebSocket();
            // The application heartbeat (ping/pong frames) is the liveness check, as for a browser.
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            socket.Options.CollectHttpResponseDetails = true;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(target.Uri, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
            {
                Record($"handshake with {target.Name} (since={since?.ToString(CultureInfo.InvariantCulture) ?? "-"}) failed: HTTP {(int)socket.HttpStatusCode} {ex.Message}");
                socket.Dispose();
                if (_stop.IsCancellationRequested)
                {
                    break;
                }

                Interlocked.Increment(ref _refusedConnects);
                await BackoffAsync();
                continue;
            }

            Record($"connected to {target.Name} (since={since?.ToString(CultureInfo.InvariantCulture) ?? "-"})");

            // Never disposed: a close the test asked for may still wait on it after the socket is gone.
            var sendLock = new SemaphoreSlim(1, 1);
            lock (_sync)
            {
                _socket = socket;
                _replica = target.Replica;
                _sendLock = sendLock;
                _disrupted = false;
            }

            Interlocked.Increment(ref _connects);
            var (code, reason) = await ReadUntilClosedAsync(socket, sendLock, resumed: since is not null);
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

            _closes.Enqueue(new SocketClose(target.Name, code, disrupted));
            Record($"closed {code}{(disrupted ? " (disrupted)" : "")}");
            if (!disrupted)
            {
                if (!ReconnectCodes.Contains(code))
                {
                    _problems.Enqueue($"{UserId}: {target.Name} closed the socket with {code} (\"{reason}\"), which is not a reconnect code.");
                }

                await BackoffAsync();
            }
        }
    }

    /// <summary>Reads frames until the socket ends; returns the server's close code and reason, or 1006 when none came.</summary>
    private async Task<(int Code, string? Reason)> ReadUntilClosedAsync(ClientWebSocket socket, SemaphoreSlim sendLock, bool resumed)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var idleTimeout = _idleTimeout ?? Timeout.InfiniteTimeSpan;
        try
        {
            while (true)
            {
                message.SetLength(0);
                ValueWebSocketReceiveResult result;
                do
                {
                    idle.CancelAfter(idleTimeout);
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

                await HandleAsync(socket, sendLock, message.GetBuffer().AsMemory(0, (int)message.Length), resumed);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or TimeoutException)
        {
            return (AbnormalClosure, ex.Message);
        }
    }

    private async Task HandleAsync(ClientWebSocket socket, SemaphoreSlim sendLock, ReadOnlyMemory<byte> frame, bool resumed)
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

                    _position = Math.Max(_position ?? 0, seq);
                }

                if (_acknowledge)
                {
                    // At once, as a tab that marks what it shows as read: the ack races the server's send loop (which
                    // must already count the seq as sent) and, in the store, other replicas' appends.
                    await SendAsync(socket, sendLock, Encoding.UTF8.GetBytes($$"""{"type":"ack","seq":{{seq}}}"""));
                }

                break;
            case "ping":
                await SendAsync(socket, sendLock, Pong);
                break;
            case "synced":
                var synced = root.GetProperty("seq").GetInt64();
                var recovered = root.GetProperty("recovered").GetBoolean();
                Interlocked.Increment(ref _synced);
                Record($"synced at {synced}, recovered={recovered}");
                if (!resumed)
                {
                    // A socket opened without since starts at the stream's head: the next one resumes from there.
                    lock (_received)
                    {
                        _position = Math.Max(_position ?? 0, synced);
                    }

                    break;
                }

                // One opened with since must sync at the client's last seq, recovered.

                if (!recovered)
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

    private long? Position
    {
        get
        {
            lock (_received)
            {
                return _position;
            }
        }
    }

    private void Record(string text) => _history.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {text}");

    private async Task BackoffAsync()
    {
        try
        {
            // Jittered, as the contract asks of clients, so reconnects after a drain do not arrive in one burst.
            await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(_backoffMilliseconds.Min, _backoffMilliseconds.Max)), _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Where one socket goes: a name for reports, the address, the cluster replica if any.</summary>
    private sealed record Target(string Name, Uri Uri, ClusterReplica? Replica);
}
