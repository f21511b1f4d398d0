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
