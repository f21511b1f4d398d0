using NotifyPush.Client.Problems;
using NotifyPush.Client.Publishing;
using NotifyPush.Client.Tests.Infrastructure;
using static NotifyPush.Client.Tests.Infrastructure.ClientFactory;

namespace NotifyPush.Client.Tests.Cluster;

/// <summary>The publisher against a replica that loses its Postgres: a typed 503 with Retry-After, and retries that store exactly once.</summary>
[Collection(ClientClusterCollection.Name)]
public sealed class PublisherStoreOutageTests
{
    private static readonly Dictionary<string, string?> Settings = new() { ["NotifyPush:Api:UnavailableRetryAfterSeconds"] = "1" };

    [Fact]
    public async Task SendAsync_WhileTheStoreIsDownWithoutRetries_ThrowsUnavailableWithRetryAfterAndStoresNothing()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 1, settings: Settings, forwardPostgres: true);
        var replica = cluster.InProcessReplicas.Single();
        var user = NewUser();
        var (publisher, http) = Publisher(replica.BaseAddress, NotifyPushRetryOptions.None);
        using var _ = http;

        await replica.PostgresForwarder!.StopAsync();
        var exception = await Assert.ThrowsAsync<NotifyPushUnavailableException>(() => publisher.SendAsync(user, "lost?")).WithTimeout(TimeSpan.FromSeconds(30));
        replica.PostgresForwarder.Start();

        Assert.Equal(503, exception.StatusCode);
        Assert.Equal("Store unavailable", exception.Title);
        Assert.Equal(TimeSpan.FromSeconds(1), exception.RetryAfter);
        Assert.NotNull(exception.IdempotencyKey);
        await ServiceApi.EventuallyAsync(async () => (await replica.ReadyAsync()).Status == System.Net.HttpStatusCode.OK, "the store is back", TimeSpan.FromSeconds(30));
        Assert.Equal(0, (await publisher.GetHistoryAsync(user).WithTimeout()).LastSeq);
    }

    [Fact]
    public async Task SendAsync_WhenTheStoreIsDownForTheFirstAttempt_RetriesAfterRetryAfterAndStoresExactlyOne()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 1, settings: Settings, forwardPostgres: true);
        var replica = cluster.InProcessReplicas.Single();
        var forwarder = replica.PostgresForwarder!;
        var user = NewUser();
        var statuses = new List<int>();
        // Postgres comes back the moment the first 503 has been answered: the retry finds it up.
        var handler = new ObservingHandler(status =>
        {
            lock (statuses)
            {
                statuses.Add(status);
                if (status == 503 && statuses.Count(s => s == 503) == 1)
                {
                    forwarder.Start();
                }
            }
        });
        var (publisher, http) = Publisher(replica.BaseAddress, handler: handler);
        using var _ = http;

        await forwarder.StopAsync();
        var result = await publisher.SendAsync(user, "invoice.paid", new { invoice = 42 }).WithTimeout(TimeSpan.FromSeconds(40));

        lock (statuses)
        {
            Assert.Equal(503, statuses[0]);
            Assert.Equal(202, statuses[^1]);
        }

        Assert.True(result.Attempts >= 2, $"attempts: {result.Attempts}");
        Assert.False(result.IdempotentReplayed);
        var history = await publisher.GetHistoryAsync(user).WithTimeout();
        Assert.Equal(1, history.LastSeq);
        Assert.Equal(Assert.Single(result.Notifications).Id, Assert.Single(history.Notifications).Id);
        Assert.Equal(1, await cluster.LastSeqAsync(user));
    }

    /// <summary>Passes requests to the network and reports each answer's status.</summary>
    private sealed class ObservingHandler(Action<int> onStatus) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            onStatus((int)response.StatusCode);
            return response;
        }
    }
}
