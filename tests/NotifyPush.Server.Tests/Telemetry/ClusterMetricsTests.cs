using NotifyPush.Server.Tests.Cluster;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Telemetry;

/// <summary>
/// Each replica's <c>/metrics</c> in a 2-replica cluster on real Redis and Postgres: a send on one replica and its
/// delivery on the other, then a Redis outage, show up on the replica where each happened.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterMetricsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Metrics_WhenTheStoreIsUnreachable_CountTheFailedAppendByOperationAndErrorType()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 1, forwardPostgres: true);
        var replica = cluster.InProcessReplicas.Single();
        var user = $"metrics-{Guid.NewGuid():N}";
        await replica.PostgresForwarder!.StopAsync();
        using (var refused = await ServiceApi.PostRawAsync(replica.Api, $$"""{"userId":"{{user}}","type":"t"}"""))
        {
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        var during = await MetricsAssert.ScrapeUntilAsync(
            replica.Api,
            s => s.Sum("notifypush_store_operation_duration_seconds_count", ("db_operation_name", "append"), ("error_type", "unavailable")) == 1,
            "the failed append is counted with error.type unavailable");
        Assert.Equal(0, during.Sum("notifypush_notifications_accepted_total"));
        Assert.Equal(0, during.Sum("notifypush_send_duration_seconds_count"));

        replica.PostgresForwarder.Start();
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                using var retry = await ServiceApi.PostRawAsync(replica.Api, $$"""{"userId":"{{user}}","type":"t"}""");
                return retry.StatusCode == System.Net.HttpStatusCode.Accepted;
            },
            "a send is accepted once the store is reachable again");
        var after = await MetricsAssert.ScrapeUntilAsync(replica.Api, s => s.Sum("notifypush_notifications_accepted_total") == 1, "the accepted send is counted");
        Assert.Equal(1, after.Sum("notifypush_notifications_stored_total"));
        Assert.True(after.Sum("notifypush_store_operation_duration_seconds_count", ("db_operation_name", "append"), ("error_type", "unavailable")) >= 1);
        MetricsAssert.NoUserIdentity(after, user);
    }

    [Fact]
    public async Task Metrics_OfTwoReplicas_ShowTheSendWhereItWasStoredAndTheDeliveryWhereTheSocketIs_ThroughARedisOutage()
    {
        // A Redis of this test's own, to stop it.
        await using var redis = await RedisServerProcess.StartAsync();
        await using var cluster = await TestCluster.StartAsync(replicas: 2, redis.Configuration);
        var (holder, sender) = (cluster.Replicas[0], cluster.Replicas[1]);
        var user = $"metrics-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(holder.SocketUriFor(user));
        await socket.ReadUntilSyncedAsync();

        for (var i = 0; i < 3; i++)
        {
            await ServiceApi.SendAsync(sender.Api, user);
        }

        Assert.Equal([1L, 2L, 3L], (await socket.ReadNotificationsAsync(3)).Select(f => f.GetProperty("seq").GetInt64()));

        var held = await MetricsAssert.ScrapeUntilAsync(
            holder.Api,
            s => s.Sum("notifypush_notifications_delivered_total", ("notifypush_delivery_source", "live")) == 3,
            "the holder counted three live frames");
        Assert.Equal(3, held.Sum("notifypush_backplane_messages_received_total"));
        Assert.Equal(3, held.Sum("notifypush_delivery_duration_seconds_count"));
        Assert.Equal(1, held.Sum("notifypush_connections"));
        Assert.Equal(1, held.Sum("notifypush_backplane_connected"));
        Assert.Equal(0, held.Sum("notifypush_notifications_accepted_total"));

        var sent = await MetricsAssert.ScrapeUntilAsync(sender.Api, s => s.Sum("notifypush_notifications_stored_total") == 3, "the sender counted three stored notifications");
        Assert.Equal(3, sent.Sum("notifypush_notifications_accepted_total"));
        Assert.Equal(3, sent.Sum("notifypush_store_commit_size_sum"));
        Assert.Equal(3, sent.Sum("notifypush_send_duration_seconds_count"));
        Assert.Equal(0, sent.Sum("notifypush_connections"));
        Assert.Equal(0, sent.Sum("notifypush_notifications_delivered_total"));
        Assert.True(sent.Samples.Any(s => s.Name.StartsWith("db_client_", StringComparison.Ordinal)), "Npgsql's meter is exported");

        // Redis goes away: both replicas report it, and the sender's doorbells fail and are owed.
        await redis.StopAsync();
        foreach (var replica in new[] { holder, sender })
        {
            await MetricsAssert.ScrapeUntilAsync(replica.Api, s => s.Sum("notifypush_backplane_connected") == 0, $"{replica.Name} reports the backplane down");
        }

        await ServiceApi.SendAsync(sender.Api, user);
        await ServiceApi.SendAsync(sender.Api, user);
        var during = await MetricsAssert.ScrapeUntilAsync(
            sender.Api,
            s => s.Sum("notifypush_backplane_publish_failures_total") == 2,
            "the sender counted its two doorbells as failed publishes");
        // Owed are kept newest per user: one for this user.
        Assert.Equal(1, during.Sum("notifypush_backplane_doorbells_owed"));
        Assert.Equal(5, during.Sum("notifypush_notifications_stored_total"));

        await redis.StartAgainAsync();
        Assert.Equal([4L, 5L], (await socket.ReadNotificationsAsync(2, TimeSpan.FromSeconds(30))).Select(f => f.GetProperty("seq").GetInt64()));
        held = await MetricsAssert.ScrapeUntilAsync(
            holder.Api,
            s => s.Sum("notifypush_backplane_connected") == 1 && s.Sum("notifypush_replays_total", ("notifypush_replay_reason", "catch_up")) >= 1,
            "the holder is connected again and caught its socket up from the store");
        // Each seq went out once, whichever way it came (live doorbell, owed doorbell or catch-up).
        Assert.Equal(5, held.Sum("notifypush_notifications_delivered_total"));
        await MetricsAssert.ScrapeUntilAsync(sender.Api, s => s.Sum("notifypush_backplane_connected") == 1 && s.Sum("notifypush_backplane_doorbells_owed") == 0, "the sender rang what it owed");

        // The client leaves (1000): now every series the dashboard and the alert rules read has appeared on a replica.
        await socket.DisposeAsync();
        held = await MetricsAssert.ScrapeUntilAsync(holder.Api, s => s.Sum("notifypush_connections_closed_total", ("notifypush_close_code", "1000")) == 1, "the holder counted the client's close");
        var senderScrape = await PrometheusScrape.ReadAsync(sender.Api);
        output.WriteLine(string.Join('\n', held.Text.Split('\n').Where(l => l.StartsWith("notifypush_", StringComparison.Ordinal) && !l.Contains("_bucket{", StringComparison.Ordinal))));
        MetricsAssert.NoUserIdentity(held, user);
        MetricsAssert.NoUserIdentity(senderScrape, user);

        // Each name the files use is an exported series or one of their labels (notifypush_close_code, …).
        var samples = held.Samples.Concat(senderScrape.Samples).ToList();
        var exported = samples.Select(s => s.Name).Concat(samples.SelectMany(s => s.Labels.Keys)).ToHashSet(StringComparer.Ordinal);
        foreach (var file in new[] { "docker/grafana/dashboards/notifypush.json", "docker/prometheus/alerts.yml" })
        {
            var referenced = MetricsAssert.ReferencedSeries(File.ReadAllText(RepositoryFiles.PathOf(file)));
            Assert.NotEmpty(referenced);
            Assert.All(referenced, name => Assert.True(exported.Contains(name), $"{file} reads {name}, which no replica exports as a series or a label"));
        }
    }
}
