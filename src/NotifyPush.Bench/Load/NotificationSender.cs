using System.Diagnostics;
using System.Net.Http;
using NotifyPush.Bench.Measurement;
using NotifyPush.Client.Problems;
using NotifyPush.Client.Publishing;

namespace NotifyPush.Bench.Load;

/// <summary>
/// Sends notifications through the .NET client's <see cref="NotifyPushPublisher"/> (one per replica, retries off so
/// every failure is counted), carrying the send's <see cref="Stopwatch"/> timestamp in the payload for the receiving
/// socket to measure POST→receipt latency. Remembers the highest seq each user was given, to check nothing is lost.
/// </summary>
internal sealed class NotificationSender : IDisposable
{
    private readonly HttpClient[] _clients;
    private readonly NotifyPushPublisher[] _publishers;
    private readonly string _userPrefix;
    private readonly long[] _lastSeq;

    private long _requests;
    private long _acceptedRequests;
    private long _acceptedNotifications;
    private long _inFlight;
    private long _lastAcceptedTimestamp;

    public NotificationSender(IReadOnlyList<Uri> replicas, string apiKey, string userPrefix, int users, int maxConnectionsPerReplica)
    {
        _userPrefix = userPrefix;
        _lastSeq = new long[users];
        _clients = new HttpClient[replicas.Count];
        _publishers = new NotifyPushPublisher[replicas.Count];
        for (var i = 0; i < replicas.Count; i++)
        {
            _clients[i] = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = maxConnectionsPerReplica,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                UseProxy = false,
            })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
            _publishers[i] = new NotifyPushPublisher(_clients[i], new NotifyPushPublisherOptions
            {
                BaseAddress = replicas[i],
                Credential = NotifyPushCredential.ApiKey(apiKey),
                Retry = new NotifyPushRetryOptions
                {
                    MaxAttempts = 1,
                    AttemptTimeout = TimeSpan.FromSeconds(15),
                    TotalTimeout = TimeSpan.FromSeconds(15),
                },
            });
        }
    }

    public ErrorCounts Errors { get; } = new();

    /// <summary>Time from the start of a POST to its 202.</summary>
    public LatencyHistogram PostLatency { get; } = new();

    public long Requests => Volatile.Read(ref _requests);

    public long AcceptedRequests => Volatile.Read(ref _acceptedRequests);

    public long AcceptedNotifications => Volatile.Read(ref _acceptedNotifications);

    public long InFlight => Volatile.Read(ref _inFlight);

    public long LastAcceptedTimestamp => Volatile.Read(ref _lastAcceptedTimestamp);

    /// <summary>The highest seq the server gave each user, by user index.</summary>
    public long[] LastSeq => _lastSeq;

    /// <summary>Sends one notification to each of <paramref name="users"/> (one user, or a fan-out) through <paramref name="replica"/>.</summary>
    /// <returns>True when the server answered 202.</returns>
    public async Task<bool> SendAsync(int replica, IReadOnlyList<int> users, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
        var started = Stopwatch.GetTimestamp();
        var payload = new BenchPayload(started);
        try
        {
            var result = users.Count == 1
                ? await _publishers[replica].SendAsync(UserId(users[0]), "bench", payload, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await _publishers[replica].SendAsync(users.Select(UserId).ToArray(), "bench", payload, cancellationToken: cancellationToken).ConfigureAwait(false);
            PostLatency.RecordSince(started);
            for (var i = 0; i < result.Notifications.Count; i++)
            {
                RaiseTo(ref _lastSeq[users[i]], result.Notifications[i].Seq);
            }

            Interlocked.Increment(ref _acceptedRequests);
            Interlocked.Add(ref _acceptedNotifications, result.Notifications.Count);
            RaiseTo(ref _lastAcceptedTimestamp, Stopwatch.GetTimestamp());
            return true;
        }
        catch (NotifyPushException ex)
        {
            Errors.Add(ex.StatusCode is { } status ? $"post:{status}" : "post:" + (ex.InnerException?.GetType().Name ?? "no-answer"));
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Errors.Add("post:timeout");
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>
    /// Sends one notification to <paramref name="user"/> as a real service would through a failover: every attempt
    /// carries the same <c>Idempotency-Key</c> and payload, a 503 is retried after its <c>Retry-After</c> (at most 2 s),
    /// a lost connection or timeout after 500 ms, until <paramref name="giveUpAfter"/> has passed. Each answer is
    /// counted in the phase <paramref name="phase"/> returns at that moment.
    /// </summary>
    /// <returns>True when an attempt answered 202 (its seq is then remembered).</returns>
    public async Task<bool> SendRetryingAsync(int replica, int user, TimeSpan giveUpAfter, Func<StatusCounts> phase, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
        var started = Stopwatch.GetTimestamp();
        // The payload is the first attempt's: a retry must repeat the request byte for byte to be answered from its key.
        var payload = new BenchPayload(started);
        var options = new NotificationSendOptions { IdempotencyKey = Guid.NewGuid().ToString("N") };
        try
        {
            while (true)
            {
                var attempt = Stopwatch.GetTimestamp();
                TimeSpan wait;
                try
                {
                    var result = await _publishers[replica].SendAsync(UserId(user), "bench", payload, options, cancellationToken).ConfigureAwait(false);
                    phase().OnAccepted(attempt);
                    PostLatency.RecordSince(started);
                    RaiseTo(ref _lastSeq[user], result.Notifications[0].Seq);
                    Interlocked.Increment(ref _acceptedRequests);
                    Interlocked.Increment(ref _acceptedNotifications);
                    RaiseTo(ref _lastAcceptedTimestamp, Stopwatch.GetTimestamp());
                    return true;
                }
                catch (NotifyPushUnavailableException ex) when (ex.StatusCode == 503)
                {
                    phase().OnUnavailable();
                    wait = ex.RetryAfter is { } retryAfter && retryAfter < TimeSpan.FromSeconds(2) ? retryAfter : TimeSpan.FromSeconds(2);
                }
                catch (NotifyPushException ex)
                {
                    phase().Other.Add(ex.StatusCode is { } status ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : ex.InnerException?.GetType().Name ?? "no-answer");
                    wait = TimeSpan.FromMilliseconds(500);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    phase().Other.Add("timeout");
                    wait = TimeSpan.FromMilliseconds(500);
                }

                if (Stopwatch.GetElapsedTime(started) + wait > giveUpAfter)
                {
                    Errors.Add("post:gave-up");
                    return false;
                }

                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private string UserId(int index) => Sockets.WorkerConfig.UserId(_userPrefix, index);

    private static void RaiseTo(ref long target, long value)
    {
        long seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    /// <summary>The payload of every bench notification: the sender's monotonic timestamp.</summary>
    private sealed record BenchPayload(long T);
}
