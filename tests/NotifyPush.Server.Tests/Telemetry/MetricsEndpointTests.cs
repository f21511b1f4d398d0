using System.Net;
using System.Net.Http.Headers;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Protocol;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Telemetry;

/// <summary>
/// <c>/metrics</c> of one real server: after real sockets, sends, acks and closes, each instrument moved by exactly what
/// happened, and nothing identifies a user.
/// </summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_AfterSocketsSendsAcksAndCloses_MoveByExactlyWhatHappened_AndNoLabelHoldsAUserId()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:MaxSocketsPerUser"] = "2",
            ["NotifyPush:Connections:MaxSockets"] = "4",
        });
        using var api = server.CreateServiceClient();
        using var scraper = server.CreateClient();
        var (alice, bob, carol) = (NewUser("metrics"), NewUser("metrics"), NewUser("metrics"));

        // Carol has two notifications before she connects: her socket's replay reads them from the store.
        await ServiceApi.SendAsync(api, carol);
        await ServiceApi.SendAsync(api, carol);

        await using var alice1 = await TestSocket.ConnectAsync(server, alice);
        await using var alice2 = await TestSocket.ConnectAsync(server, alice);
        await using var bobSocket = await TestSocket.ConnectAsync(server, bob);
        foreach (var socket in new[] { alice1, alice2, bobSocket })
        {
            Assert.Empty((await socket.ReadUntilSyncedAsync()).Replayed);
        }

        // Refusals: a third socket for Alice (429); with Carol's the replica is full (503 for anyone else); a bad token
        // (401); a cookie from a foreign origin (403).
        Assert.Equal(HttpStatusCode.TooManyRequests, await TestSocket.ExpectRefusalAsync(server.SocketUri($"access_token={NotifyPushTestServer.UserToken(alice)}")));
        await using var carolSocket = await TestSocket.ConnectAsync(server, carol);
        Assert.Equal(2, (await carolSocket.ReadUntilSyncedAsync()).Replayed.Count);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await TestSocket.ExpectRefusalAsync(server.SocketUri($"access_token={NotifyPushTestServer.UserToken(NewUser("metrics"))}")));
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(server.SocketUri("access_token=not-a-token")));
        Assert.Equal(HttpStatusCode.Forbidden, await TestSocket.ExpectRefusalAsync(server.SocketUri(), options =>
        {
            options.SetRequestHeader("Cookie", "__Host-notifypush_token=" + NotifyPushTestServer.UserToken(bob));
            options.SetRequestHeader("Origin", "https://evil.test");
        }));

        // Three sends to Alice and one fan-out to Alice and Bob: 9 live frames (4 to each of Alice's tabs, 1 to Bob).
        for (var i = 0; i < 3; i++)
        {
            await ServiceApi.SendAsync(api, alice);
        }

        await ServiceApi.SendAsync(api, [alice, bob]);
        Assert.Equal(4, (await alice1.ReadNotificationsAsync(4)).Count);
        Assert.Equal(4, (await alice2.ReadNotificationsAsync(4)).Count);
        Assert.Single(await bobSocket.ReadNotificationsAsync(1));
        await alice1.AckAsync(4);
        await bobSocket.AckAsync(1);

        var scrape = await MetricsAssert.ScrapeUntilAsync(
            scraper,
            s => s.Sum("notifypush_acks_written_total") == 2 && s.Sum("notifypush_notifications_delivered_total", ("notifypush_delivery_source", "live")) == 9,
            "both acks are written and the 9 live frames counted");

        Assert.Equal(4, scrape.Sum("notifypush_connections"));
        Assert.Equal(3, scrape.Sum("notifypush_users"));
        Assert.Equal(4, scrape.Sum("notifypush_handshakes_total", ("notifypush_handshake_outcome", "accepted")));
        Assert.Equal(1, scrape.Sum("notifypush_handshakes_total", ("notifypush_handshake_outcome", "too_many_sockets")));
        Assert.Equal(1, scrape.Sum("notifypush_handshakes_total", ("notifypush_handshake_outcome", "unauthorized")));
        Assert.Equal(1, scrape.Sum("notifypush_handshakes_total", ("notifypush_handshake_outcome", "forbidden")));
        Assert.Equal(1, scrape.Sum("notifypush_handshakes_total", ("notifypush_handshake_outcome", "unavailable")));

        // 2 + 3 + 2 notifications in 6 sends, each its own SQLite transaction.
        Assert.Equal(7, scrape.Sum("notifypush_notifications_accepted_total"));
        Assert.Equal(7, scrape.Sum("notifypush_notifications_stored_total"));
        Assert.Equal(6, scrape.Sum("notifypush_store_commit_size_count"));
        Assert.Equal(7, scrape.Sum("notifypush_store_commit_size_sum"));
        Assert.Equal(6, scrape.Sum("notifypush_send_duration_seconds_count"));
        Assert.Equal(6, scrape.Sum("notifypush_store_operation_duration_seconds_count", ("db_operation_name", "append")));
        Assert.False(scrape.Has("notifypush_store_operation_duration_seconds_count", ("error_type", "unavailable")));

        Assert.Equal(9, scrape.Sum("notifypush_delivery_duration_seconds_count"));
        Assert.Equal(2, scrape.Sum("notifypush_notifications_delivered_total", ("notifypush_delivery_source", "store")));
        // Only Carol's socket had something stored after its resume point; the others read nothing.
        Assert.Equal(1, scrape.Sum("notifypush_replays_total", ("notifypush_replay_reason", "connect")));
        Assert.Equal(2, scrape.Sum("notifypush_replay_size_sum", ("notifypush_replay_reason", "connect")));
        Assert.Equal(2, scrape.Sum("notifypush_acks_received_total"));
        Assert.Equal(1, scrape.Sum("notifypush_backplane_connected"));

        // The framework's meters are exported beside NotifyPush's.
        Assert.True(scrape.Has("http_server_request_duration_seconds_count", ("http_route", "/api/notifications")), "ASP.NET Core's request duration is exported");
        Assert.True(scrape.Has("kestrel_active_connections"), "Kestrel's meter is exported");
        Assert.True(scrape.Has("dotnet_gc_collections_total"), "the runtime's meter is exported");

        // Sign Alice out everywhere (4003 on both tabs) and close Bob's socket from the client (1000).
        using (var disconnect = await api.PostAsync($"/api/users/{alice}/disconnect", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, disconnect.StatusCode);
        }

        Assert.Equal(CloseCodes.SignedOut, await alice1.WaitForCloseAsync());
        Assert.Equal(CloseCodes.SignedOut, await alice2.WaitForCloseAsync());
        await bobSocket.DisposeAsync();
        scrape = await MetricsAssert.ScrapeUntilAsync(
            scraper,
            s => s.Sum("notifypush_connections") == 1 && s.Sum("notifypush_connections_closed_total") == 3,
            "three sockets closed, Carol's still open");
        Assert.Equal(2, scrape.Sum("notifypush_connections_closed_total", ("notifypush_close_code", "4003")));
        Assert.Equal(1, scrape.Sum("notifypush_connections_closed_total", ("notifypush_close_code", "1000")));

        MetricsAssert.NoUserIdentity(scrape, alice, bob, carol);
    }

    [Fact]
    public async Task Metrics_WhenASocketIsASlowConsumer_CountOneCloseWith4008()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:SendQueueCapacity"] = "1024",
            ["NotifyPush:Connections:SendQueueBytes"] = "1048576",
            ["NotifyPush:Connections:SendTimeoutSeconds"] = "60",
            ["NotifyPush:Api:MaxPayloadBytes"] = "2000000",
        });
        using var api = server.CreateServiceClient();
        using var scraper = server.CreateClient();
        var user = NewUser("metrics");
        await using var stalled = await TestSocket.ConnectAsync(server, user, read: false);
        await MetricsAssert.ScrapeUntilAsync(scraper, s => s.Sum("notifypush_connections") == 1, "the socket is open");

        var connection = server.GetService<ConnectionRegistry>().GetConnections(user)[0];

        // 200 KB frames that nobody reads: the kernel's buffers take some tens, then the 1 MiB queue overflows.
        var payload = new string('x', 200_000);
        for (var sent = 0; connection.CloseCode == 0; sent++)
        {
            Assert.True(sent < 150, "The server never declared the non-reading socket a slow consumer.");
            await ServiceApi.SendAsync(api, user, payload: new { payload });
        }

        stalled.StartReading();
        Assert.Equal(CloseCodes.SlowConsumer, await stalled.WaitForCloseAsync(TimeSpan.FromSeconds(30)));
        var final = await MetricsAssert.ScrapeUntilAsync(scraper, s => s.Sum("notifypush_connections") == 0, "the slow socket is gone");
        Assert.Equal(1, final.Sum("notifypush_connections_closed_total", ("notifypush_close_code", "4008")));
        Assert.Equal(1, final.Sum("notifypush_connections_closed_total"));
        MetricsAssert.NoUserIdentity(final, user);
    }

    [Fact]
    public async Task Metrics_WhenTheRateLimitRefusesCalls_CountEachRefusal()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Api:RateLimitPerSecond"] = "1",
            ["NotifyPush:Api:RateLimitBurst"] = "1",
        });
        using var api = server.CreateServiceClient();
        using var scraper = server.CreateClient();
        var refused = 0;
        for (var i = 0; i < 5; i++)
        {
            using var response = await ServiceApi.PostRawAsync(api, $$"""{"userId":"{{NewUser("metrics")}}","type":"t"}""");
            refused += response.StatusCode == HttpStatusCode.TooManyRequests ? 1 : 0;
        }

        Assert.True(refused > 0, "five calls within a second should exceed a limit of one per second");
        await MetricsAssert.ScrapeUntilAsync(scraper, s => s.Sum("notifypush_rate_limit_refusals_total") == refused, $"{refused} refusals counted");
    }

    [Fact]
    public async Task MetricsPath_FollowsTheSetting_AndEmptyOrMetricsOffServesNothing()
    {
        using (var moved = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Telemetry:PrometheusPath"] = "/internal/metrics" }))
        using (var client = moved.CreateClient())
        {
            Assert.True((await PrometheusScrape.ReadAsync(client, "/internal/metrics")).Has("notifypush_connections"));
            using var old = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
        }

        foreach (var (key, value) in new[] { ("NotifyPush:Telemetry:PrometheusPath", ""), ("NotifyPush:Telemetry:Metrics", "false") })
        {
            using var server = new NotifyPushTestServer(new Dictionary<string, string?> { [key] = value });
            using var client = server.CreateClient();
            using var response = await client.GetAsync("/metrics");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{key}={value}: /metrics answered {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task MetricsEndpoint_WhenProtected_TakesAServiceCredentialAndRefusesAUserToken()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Telemetry:PrometheusRequiresServiceCredential"] = "true" });
        using var anonymous = server.CreateClient();
        using (var response = await anonymous.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var user = server.CreateClient();
        user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken(NewUser("metrics")));
        using (var response = await user.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using var service = server.CreateServiceClient();
        Assert.True((await PrometheusScrape.ReadAsync(service)).Has("notifypush_connections"));
    }

    [Fact]
    public void Startup_WithAnInvalidTelemetrySetting_FailsNamingIt()
    {
        var error = Assert.ThrowsAny<Exception>(() => new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Telemetry:PrometheusPath"] = "metrics" }));
        Assert.Contains("NotifyPush:Telemetry:PrometheusPath", error.ToString(), StringComparison.Ordinal);
        error = Assert.ThrowsAny<Exception>(() => new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Telemetry:OtlpEndpoint"] = "collector:4318" }));
        Assert.Contains("NotifyPush:Telemetry:OtlpEndpoint", error.ToString(), StringComparison.Ordinal);
    }
}
