using System.Net;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>One replica loses Postgres: it refuses honestly, publishes nothing, and a retry stores exactly once.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterStoreOutageTests
{
    private const string IdempotencyKey = "invoice-42-paid";

    [Fact]
    public async Task StoreUnreachableFromOneReplica_SendThereIs503AndAnIdempotentRetryStoresAndDeliversItOnce()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 2, forwardPostgres: true);
        var healthy = cluster.InProcessReplicas.First();
        var cut = cluster.InProcessReplicas.Last();
        await using var socket = await TestSocket.ConnectAsync(healthy.SocketUriFor("alice"));
        await socket.ReadUntilSyncedAsync();
        var body = JsonSerializer.Serialize(new { userId = "alice", type = "invoice.paid", payload = new { invoice = 42 } });

        // Only this replica loses the database; the other one, and every other test, keep theirs.
        await cut.PostgresForwarder!.StopAsync();
        using (var refused = await ServiceApi.PostRawAsync(cut.Api, body, IdempotencyKey))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero, $"Retry-After: {refused.Headers.RetryAfter}");
            using var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        }

        var (cutReady, cutReport) = await cut.ReadyAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, cutReady);
        Assert.Equal("unavailable", cutReport.GetProperty("store").GetString());
        Assert.Equal(HttpStatusCode.OK, (await healthy.ReadyAsync()).Status);

        // Nothing was stored or published: alice's next notification is this one, and it is seq 1.
        await ServiceApi.SendAsync(healthy.Api, "alice", "sentinel");
        var sentinel = (await socket.ReadNotificationsAsync(1)).Single();
        Assert.Equal("sentinel", sentinel.GetProperty("event").GetString());
        Assert.Equal(1, sentinel.GetProperty("seq").GetInt64());

        // The database comes back; the service retries with the same key, as the 503 told it to, until it is accepted.
        cut.PostgresForwarder.Start();
        JsonElement stored = default;
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                using var retry = await ServiceApi.PostRawAsync(cut.Api, body, IdempotencyKey);
                if (retry.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    return false;
                }

                Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
                using var document = JsonDocument.Parse(await retry.Content.ReadAsStringAsync());
                stored = document.RootElement.GetProperty("notifications")[0].Clone();
                return true;
            },
            "a retry on the replica whose store is back is accepted",
            TimeSpan.FromSeconds(30));
        Assert.Equal(2, stored.GetProperty("seq").GetInt64());

        // A further retry, through the other replica (say the 202 was lost), is the same notification, not a new one.
        using (var again = await ServiceApi.PostRawAsync(healthy.Api, body, IdempotencyKey))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
            Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
            using var document = JsonDocument.Parse(await again.Content.ReadAsStringAsync());
            var replayed = document.RootElement.GetProperty("notifications")[0];
            Assert.Equal(stored.GetProperty("id").GetGuid(), replayed.GetProperty("id").GetGuid());
            Assert.Equal(2, replayed.GetProperty("seq").GetInt64());
        }

        // Delivered once: the invoice, then a sentinel sent afterwards, and nothing in between.
        var invoice = (await socket.ReadNotificationsAsync(1)).Single();
        Assert.Equal(stored.GetProperty("id").GetGuid(), invoice.GetProperty("id").GetGuid());
        await ServiceApi.SendAsync(cut.Api, "alice", "sentinel");
        Assert.Equal(3, (await socket.ReadNotificationsAsync(1)).Single().GetProperty("seq").GetInt64());
        Assert.Equal([1L, 2L, 3L], socket.ReceivedSeqs);

        // Stored once: the history holds one invoice among alice's three notifications.
        using var history = await cut.Api.GetAsync("/api/users/alice/notifications?after=0");
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
        using var page = JsonDocument.Parse(await history.Content.ReadAsStringAsync());
        Assert.Equal(3, page.RootElement.GetProperty("lastSeq").GetInt64());
        var types = page.RootElement.GetProperty("notifications").EnumerateArray().Select(n => n.GetProperty("type").GetString()).ToList();
        Assert.Equal(["sentinel", "invoice.paid", "sentinel"], types);
    }
}
