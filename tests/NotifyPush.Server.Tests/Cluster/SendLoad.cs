using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// Business services sending notifications through random replicas, as the contract tells them to: every send
/// has its own <c>Idempotency-Key</c>, and a send that fails (5xx, a dropped connection, a timeout) is retried with
/// the same key on another replica until it gets 202. So each send stores exactly one notification however many
/// attempts it took, and the seqs the 202s returned must be exactly the store's 1..N per user.
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
        for (var i = 0; i < sends && !stop.IsCancellationRequested; i++)
        {
            var user = _users[random.Next(_users.Count)];
            var body = JsonSerializer.Serialize(new { userId = user, type = "load", payload = new { sender, n = i } });
            var seq = await SendOnceAsync(body, $"{_runId}-{sender}-{i}", random);
            _seqs.GetOrAdd(user, _ => new ConcurrentQueue<long>()).Enqueue(seq);
            Interlocked.Increment(ref _accepted);
            if (pace > TimeSpan.Zero)
            {
                // Throttling the sender, not waiting for anything.
                await Task.Delay(pace, CancellationToken.None);
            }
        }
    }

    private async Task<long> SendOnceAsync(string body, string idempotencyKey, Random random)
    {
        var deadline = DateTime.UtcNow + SendDeadline;
        for (var attempt = 0; ; attempt++)
        {
            var replica = _cluster.PickReplica(random);
            string failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications")
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("Idempotency-Key", idempotencyKey);
                using var response = await replica.Api.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    if (attempt > 0 && response.Headers.TryGetValues("Idempotent-Replayed", out var replayed) && replayed.Contains("true"))
                    {
                        Interlocked.Increment(ref _replayed);
                    }

                    using var document = JsonDocument.Parse(text);
                    return document.RootElement.GetProperty("notifications")[0].GetProperty("seq").GetInt64();
                }

                if ((int)response.StatusCode < 500)
                {
                    throw new InvalidOperationException($"Send {idempotencyKey} to {replica.Name} got {(int)response.StatusCode}: {text}");
                }

                failure = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                // The replica went away mid-request, or never answered: the send may or may not have committed.
                failure = ex.GetType().Name;
            }

            _failures.AddOrUpdate(failure, 1, (_, count) => count + 1);
            Interlocked.Increment(ref _retries);
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Send {idempotencyKey} got no 202 within {SendDeadline.TotalSeconds} s ({attempt + 1} attempts, last: {failure}).");
            }

            // A retrying service's backoff, not a wait for a condition.
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(20, 100)), CancellationToken.None);
        }
    }
}
