using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>The service API's send rate limit is one budget per caller for the whole cluster when Redis connects it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterRateLimitTests
{
    private const int Burst = 20;

    [Fact]
    public async Task Sends_OfOneCallerSpreadOverTwoReplicas_AreLimitedByOneSharedBudget()
    {
        await using var cluster = await TestCluster.StartAsync(
            replicas: 2,
            settings: new Dictionary<string, string?>
            {
                ["NotifyPush:Api:RateLimitPerSecond"] = "1",
                ["NotifyPush:Api:RateLimitBurst"] = Burst.ToString(),
                // Generous, so a loaded machine never falls back to the per-replica buckets during the test.
                ["NotifyPush:Api:SharedRateLimitTimeoutMilliseconds"] = "5000",
            });
        foreach (var replica in cluster.Replicas)
        {
            await ServiceApi.EventuallyAsync(
                async () => (await replica.ReadyAsync()).Report.GetProperty("backplane").GetProperty("connected").GetBoolean(),
                $"{replica.Name} is connected to Redis",
                TimeSpan.FromSeconds(30));
        }

        // Twice the burst, alternating replicas: each replica alone would accept its whole share.
        var accepted = 0;
        var refused = new List<HttpResponseMessage>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 2 * Burst; i++)
        {
            var replica = cluster.Replicas[i % 2];
            var response = await replica.Api.PostAsJsonAsync("/api/notifications", new { userId = $"user-{Guid.NewGuid():N}", type = "test.event", payload = new { } });
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted++;
                response.Dispose();
            }
            else
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                refused.Add(response);
            }
        }

        // One budget: the burst, plus what refilled at 1/s while the requests ran (and one for rounding).
        var refilled = (int)Math.Ceiling(clock.Elapsed.TotalSeconds) + 1;
        Assert.InRange(accepted, Burst, Burst + refilled);
        Assert.NotEmpty(refused);
        Assert.All(refused, response => Assert.True(response.Headers.RetryAfter is not null, "a 429 carries Retry-After"));
        Assert.Contains(refused, response => response.RequestMessage!.RequestUri!.Port == cluster.Replicas[0].BaseAddress.Port);
        Assert.Contains(refused, response => response.RequestMessage!.RequestUri!.Port == cluster.Replicas[1].BaseAddress.Port);
        foreach (var response in refused)
        {
            response.Dispose();
        }
    }
}
