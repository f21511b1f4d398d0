using System.Collections.Concurrent;
using NotifyPush.Client.Publishing;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// Business services sending notifications through random replicas with the .NET client's publisher, as the contract
/// tells them to: every send has its own <c>Idempotency-Key</c>, and a send that fails (5xx, a dropped connection, a
/// timeout) is retried with the same key, each attempt on a random replica (<see cref="ReplicaRoutingHandler"/>), until
/// it gets 202. So each send stores exactly one notification however many attempts it took, and the seqs the 202s
/// returned must be exactly the store's 1..N per user.
/// </summary>
public sealed class SendLoad
{
    private static readonly TimeSpan SendDeadline = TimeSpan.FromSeconds(60);

    private readonly TestCluster _cluster;
    private readonly IReadOnlyList<string> _users;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentDictionary<string, ConcurrentQueue<long>> _seqs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private int _accepted;
    private int _retries;
    private int _replayed;

    public SendLoad(TestCluster cluster, IReadOnlyList<string> users)
    {
        _cluster = cluster;
        _users = users;
    }

    /// <summary>Sends answered 202 (each counted once, however many attempts it took).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Attempts that failed and were retried.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Retries answered with <c>Idempotent-Replayed: true</c>: an earlier attempt had committed.</summary>
    public int Replayed => Volatile.Read(ref _replayed);

    /// <summary>Failed attempts by kind, e.g. <c>503=3, HttpRequestException=12</c>.</summary>
    public string Failures => _failures.IsEmpty ? "none" : string.Join(", ", _failures.OrderBy(f => f.Key).Select(f => $"{f.Key}={f.Value}"));

    /// <summary>The seqs the 202 answers assigned, per user, sorted.</summary>
    public IReadOnlyDictionary<string, long[]> AcceptedSeqs() =>
        _seqs.ToDictionary(pair => pair.Key, pair => pair.Value.Order().ToArray(), StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="senders"/> concurrent senders, each sending <paramref name="sendsPerSender"/> notifications
    /// one after the other (or until <paramref name="stop"/>, checked between sends so every send started is finished)
    /// to a random user through a random replica, <paramref name="pace"/> apart.
    /// </summary>
    public Task RunAsync(int senders, int sendsPerSender, int seed, TimeSpan pace = default, CancellationToken stop = default) =>
        Task.WhenAll(Enumerable.Range(0, senders).Select(sender => Task.Run(() => SenderAsync(sender, sendsPerSender, new Random(seed + sender), pace, stop))));

    private async Task SenderAsync(int sender, int sends, Random random, TimeSpan pace, CancellationToken stop)
    {
        // One service instance: its own client and publisher, routed like every other service through the balancer.
        var router = new ReplicaRoutingHandler(_cluster, random.Next(), _failures);
        using var http = new HttpClient(router) { Timeout = Timeout.InfiniteTimeSpan };
        var publisher = new NotifyPushPublisher(http, new NotifyPushPublisherOptions
        {
            BaseAddress = new Uri("http://balancer.test/"),
            Credential = NotifyPushCredential.ApiKey(NotifyPushTestServer.ApiKey),
            Retry = new NotifyPushRetryOptions
            {
                MaxAttempts = int.MaxValue,
                FirstDelay = TimeSpan.FromMilliseconds(20),
                MaxDelay = TimeSpan.FromMilliseconds(100),
                AttemptTimeout = TimeSpan.FromSeconds(30),
                TotalTimeout = SendDeadline,
            },
        });
        for (var i = 0; i < sends && !stop.IsCancellationRequested; i++)
        {
            var user = _users[random.Next(_users.Count)];
            var result = await publisher.SendAsync(user, "load", new { sender, n = i }, new NotificationSendOptions { IdempotencyKey = $"{_runId}-{sender}-{i}" });
            _seqs.GetOrAdd(user, _ => new ConcurrentQueue<long>()).Enqueue(result.Notifications[0].Seq);
            Interlocked.Increment(ref _accepted);
            Interlocked.Add(ref _retries, result.Attempts - 1);
            if (result.Attempts > 1 && result.IdempotentReplayed)
            {
                Interlocked.Increment(ref _replayed);
            }

            if (pace > TimeSpan.Zero)
            {
                // Throttling the sender, not waiting for anything.
                await Task.Delay(pace, CancellationToken.None);
            }
        }
    }
}
