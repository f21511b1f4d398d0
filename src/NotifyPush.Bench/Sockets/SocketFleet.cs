using System.Diagnostics;
using System.Net.Http;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Servers;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// The sockets of one worker process. They share one <see cref="SocketsHttpHandler"/> whose connect callback spreads
/// source addresses over 127.0.0.x; counters are lock-free so thousands of receive loops can update them.
/// </summary>
internal sealed class SocketFleet : IDisposable
{
    private readonly WorkerConfig _config;
    private readonly IBenchSocket[] _sockets;
    private readonly HttpMessageInvoker _invoker;

    private long _open;
    private long _connectFailures;
    private long _synced;
    private long _phaseSynced;
    private long _received;
    private long _duplicates;
    private long _gaps;
    private long _lastSyncedTimestamp;
    private long _lastReceivedTimestamp;
    private long _phaseStartedTimestamp;
    private long _phaseConnectedTimestamp;
    private long _newestSentReceived;
    private long _resumes;
    private volatile bool _connectDone;

    public SocketFleet(WorkerConfig config)
    {
        _config = config;
        var connector = new SourceAddressConnector(config.SourceAddresses);
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = connector.ConnectAsync,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        });

        var minter = new TokenMinter(config.SigningKey, config.Issuer, config.Audience);
        _sockets = new IBenchSocket[config.UserCount];
        for (var i = 0; i < _sockets.Length; i++)
        {
            var index = config.FirstUser + i;
            var userId = WorkerConfig.UserId(config.UserPrefix, index);
            var token = minter.Mint(userId, TimeSpan.FromHours(2));
            _sockets[i] = config.Protocol switch
            {
                SocketProtocol.SignalR => new SignalRBenchSocket(index, token, this),
                SocketProtocol.Centrifuge => new CentrifugeBenchSocket(index, token, this),
                SocketProtocol.NotifyPushEventStream => new EventStreamBenchSocket(index, token, this),
                _ => new BenchSocket(index, userId, token, this),
            };
        }
    }

    public LatencyHistogram Latency { get; } = new();

    public ErrorCounts Errors { get; } = new();

    /// <summary>Whether closed sockets reconnect with <c>since</c> (<see cref="WorkerConfig.Resume"/>).</summary>
    public bool Resume => _config.Resume;

    /// <summary>Opens every socket, <see cref="WorkerConfig.ConnectConcurrency"/> handshakes at a time.</summary>
    public async Task ConnectAllAsync(int shift, bool since, CancellationToken cancellationToken)
    {
        _connectDone = false;
        Volatile.Write(ref _phaseSynced, 0);
        Volatile.Write(ref _phaseConnectedTimestamp, 0);
        Volatile.Write(ref _phaseStartedTimestamp, Stopwatch.GetTimestamp());
        using var gate = new SemaphoreSlim(_config.ConnectConcurrency);
        var tasks = new List<Task>(_sockets.Length);
        foreach (var socket in _sockets)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            tasks.Add(ConnectOneAsync(socket, shift, since, gate, cancellationToken));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        Volatile.Write(ref _phaseConnectedTimestamp, Stopwatch.GetTimestamp());
        _connectDone = true;
    }

    private async Task ConnectOneAsync(IBenchSocket socket, int shift, bool since, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        try
        {
            var endpoints = _config.SocketEndpoints;
            var endpoint = endpoints[(socket.UserIndex + shift) % endpoints.Count];
            if (!await socket.ConnectAsync(endpoint, since, _invoker, cancellationToken).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _connectFailures);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Drops every socket at once without a close handshake.</summary>
    public void DropAll()
    {
        foreach (var socket in _sockets)
        {
            socket.Drop();
        }
    }

    /// <summary>Counts what each user is missing against the highest seq the sender was given for it.</summary>
    public VerifyResult Verify(long[] expected)
    {
        long lost = 0, behind = 0, duplicates = 0, gaps = 0;
        for (var i = 0; i < _sockets.Length && i < expected.Length; i++)
        {
            var socket = _sockets[i];
            var missing = expected[i] - socket.LastSeq;
            if (missing > 0)
            {
                lost += missing;
                behind++;
            }

            lost += socket.Gaps;
            gaps += socket.Gaps;
            duplicates += socket.Duplicates;
        }

        return new VerifyResult(lost, behind, duplicates, gaps);
    }

    public WorkerStatus Status() => new(
        _config.WorkerIndex,
        _connectDone,
        Volatile.Read(ref _open),
        Volatile.Read(ref _connectFailures),
        Volatile.Read(ref _synced),
        Volatile.Read(ref _phaseSynced),
        Volatile.Read(ref _received),
        Volatile.Read(ref _duplicates),
        Volatile.Read(ref _gaps),
        Errors.Total,
        Volatile.Read(ref _lastSyncedTimestamp),
        Volatile.Read(ref _lastReceivedTimestamp),
        Volatile.Read(ref _phaseStartedTimestamp),
        Volatile.Read(ref _phaseConnectedTimestamp),
        Volatile.Read(ref _newestSentReceived),
        Volatile.Read(ref _resumes));

    internal void OnOpened() => Interlocked.Increment(ref _open);

    internal void OnClosed() => Interlocked.Decrement(ref _open);

    internal void OnSynced()
    {
        Interlocked.Increment(ref _synced);
        Interlocked.Increment(ref _phaseSynced);
        RaiseTo(ref _lastSyncedTimestamp, Stopwatch.GetTimestamp());
    }

    internal void OnReceived(long sentTimestamp = 0)
    {
        Interlocked.Increment(ref _received);
        RaiseTo(ref _lastReceivedTimestamp, Stopwatch.GetTimestamp());
        RaiseTo(ref _newestSentReceived, sentTimestamp);
    }

    internal void OnResumed() => Interlocked.Increment(ref _resumes);

    internal void OnDuplicate() => Interlocked.Increment(ref _duplicates);

    internal void OnGap(long missing) => Interlocked.Add(ref _gaps, missing);

    private static void RaiseTo(ref long target, long value)
    {
        long seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public void Dispose()
    {
        DropAll();
        _invoker.Dispose();
    }
}
