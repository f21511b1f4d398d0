using System.Net;
using System.Text;
using System.Text.Json;
using NotifyPush.Core.Protocol;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>
/// <c>GET /sse</c> and <c>POST /sse/ack</c> against a real server over real HTTP: the socket's contract (replay,
/// resume, order, tabs, sign-out, expiry, limits, drain, acks) carried as Server-Sent Events.
/// </summary>
public sealed class ServerSentEventsTests : IDisposable
{
    private readonly NotifyPushTestServer _server = new(new Dictionary<string, string?>
    {
        ["NotifyPush:Connections:MaxSocketsPerUser"] = "2",
        ["NotifyPush:Connections:TokenExpiryWarningSeconds"] = "2",
        ["NotifyPush:Connections:HeartbeatSeconds"] = "1",
        ["NotifyPush:Connections:HeartbeatTimeoutSeconds"] = "1",
        ["NotifyPush:Auth:Jwt:ClockSkewSeconds"] = "0",
    });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Connect_AnswersAnUnbufferedEventStream_WithWelcomeThenSynced()
    {
        var user = NewUser();
        await using var stream = await TestEventStream.ConnectAsync(_server, user);

        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.True(stream.Response.Headers.CacheControl?.NoCache);
        Assert.Equal("no", Assert.Single(stream.Response.Headers.GetValues("X-Accel-Buffering")));
        var welcome = await stream.NextAsync();
        Assert.Equal("welcome", welcome.GetProperty("type").GetString());
        Assert.Equal(user, welcome.GetProperty("userId").GetString());
        var synced = await stream.NextAsync();
        Assert.Equal("synced", synced.GetProperty("type").GetString());
        Assert.Equal(0, synced.GetProperty("seq").GetInt64());
        Assert.True(synced.GetProperty("recovered").GetBoolean());
        Assert.Equal([("welcome", (string?)null), ("synced", null)], stream.Events);
    }

    [Fact]
    public async Task Replay_SendsUnacknowledgedNotificationsInOrder_EachWithItsSeqAsEventId()
    {
        var user = NewUser();
        using var api = _server.CreateServiceClient();
        for (var i = 1; i <= 5; i++)
        {
            await ServiceApi.SendAsync(api, user, "order.update", new { step = i });
        }

        await using var stream = await TestEventStream.ConnectAsync(_server, user);
        var (replayed, synced) = await stream.ReadUntilSyncedAsync();

        Assert.Equal([1L, 2L, 3L, 4L, 5L], replayed.Select(n => n.GetProperty("seq").GetInt64()));
        Assert.Equal([1, 2, 3, 4, 5], replayed.Select(n => n.GetProperty("payload").GetProperty("step").GetInt32()));
        Assert.Equal(["1", "2", "3", "4", "5"], stream.Events.Where(e => e.Event == "notification").Select(e => e.Id));
        Assert.Equal(5, synced.GetProperty("seq").GetInt64());
        Assert.Equal("5", stream.LastEventId);
    }

    [Fact]
    public async Task Resume_WithLastEventId_ReplaysOnlyLaterSeqs_AndWinsOverSince()
    {
        var user = NewUser();
        using var api = _server.CreateServiceClient();
        for (var i = 1; i <= 4; i++)
        {
            await ServiceApi.SendAsync(api, user);
        }

        // A browser reconnecting keeps the URL it opened (since=1) and adds the newer Last-Event-ID.
        await using var stream = await TestEventStream.ConnectAsync(_server, user, query: "since=1", lastEventId: "3");
        var (replayed, synced) = await stream.ReadUntilSyncedAsync();

        Assert.Equal([4L], replayed.Select(n => n.GetProperty("seq").GetInt64()));
        Assert.True(synced.GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task Resume_WithSince_ReplaysAfterIt()
    {
        var user = NewUser();
        using var api = _server.CreateServiceClient();
        for (var i = 1; i <= 3; i++)
        {
            await ServiceApi.SendAsync(api, user);
        }

        await using var stream = await TestEventStream.ConnectAsync(_server, user, query: "since=2");
        var (replayed, _) = await stream.ReadUntilSyncedAsync();

        Assert.Equal([3L], replayed.Select(n => n.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task Live_AStreamAndASocketOfTheSameUser_BothReceiveEverySeqInOrder()
    {
        var user = NewUser();
        await using var stream = await TestEventStream.ConnectAsync(_server, user);
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await stream.ReadUntilSyncedAsync();
        await socket.ReadUntilSyncedAsync();

        using var api = _server.CreateServiceClient();
        var sends = Enumerable.Range(0, 20).Select(i => ServiceApi.SendAsync(api, user, "burst", new { i })).ToList();
        await Task.WhenAll(sends);

        var overStream = await stream.ReadNotificationsAsync(20);
        var overSocket = await socket.ReadNotificationsAsync(20);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), overStream.Select(n => n.GetProperty("seq").GetInt64()));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), overSocket.Select(n => n.GetProperty("seq").GetInt64()));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), stream.Events.Where(e => e.Event == "notification").Select(e => e.Id));
    }

    [Fact]
    public async Task Payload_WithLineBreaks_ArrivesAsOneEventWhoseDataIsTheSameJson()
    {
        var user = NewUser();
        await using var stream = await TestEventStream.ConnectAsync(_server, user);
        await stream.ReadUntilSyncedAsync();

        using var api = _server.CreateServiceClient();
        using var response = await ServiceApi.PostRawAsync(api, $"{{\"userId\":\"{user}\",\"type\":\"multi\",\"payload\":{{\r\n  \"a\": 1,\n  \"b\": \"x\\ny\"\r}}}}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var notification = Assert.Single(await stream.ReadNotificationsAsync(1));
        Assert.Equal(1, notification.GetProperty("payload").GetProperty("a").GetInt32());
        Assert.Equal("x\ny", notification.GetProperty("payload").GetProperty("b").GetString());
    }

    [Fact]
    public async Task Heartbeats_AreCommentLines_AndNeedNoAnswer()
    {
        // HeartbeatSeconds 1 and HeartbeatTimeoutSeconds 1: a socket that answered no ping would be closed by now.
        await using var stream = await TestEventStream.ConnectAsync(_server, NewUser());
        await stream.ReadUntilSyncedAsync();

        await ServiceApi.EventuallyAsync(() => Task.FromResult(stream.CommentsReceived >= 4), "four heartbeat comments");
        Assert.False(stream.Closed.IsCompleted);
        Assert.DoesNotContain(stream.Events, e => e.Event == "ping");
    }

    [Fact]
    public async Task DisconnectApi_EndsEveryStreamOfTheUser_WithACloseEvent4003()
    {
        var user = NewUser();
        await using var tab1 = await TestEventStream.ConnectAsync(_server, user);
        await using var tab2 = await TestEventStream.ConnectAsync(_server, user);
        await tab1.ReadUntilSyncedAsync();
        await tab2.ReadUntilSyncedAsync();

        using var api = _server.CreateServiceClient();
        using var response = await api.PostAsync($"/api/users/{user}/disconnect", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        Assert.Equal(CloseCodes.SignedOut, await tab1.WaitForCloseAsync());
        Assert.Equal(CloseCodes.SignedOut, await tab2.WaitForCloseAsync());
        Assert.Equal("close", tab1.Events[^1].Event);
    }

    [Fact]
    public async Task CredentialExpiry_WarnsWithTokenExpiring_ThenEndsWithACloseEvent4001()
    {
        var user = NewUser();
        var token = NotifyPushTestServer.UserToken(user, expiresIn: TimeSpan.FromSeconds(4));
        await using var stream = await TestEventStream.ConnectAsync(_server.BaseAddress, $"/sse?access_token={token}");
        await stream.ReadUntilSyncedAsync();

        var warning = await stream.NextOfTypeAsync("token-expiring");
        Assert.InRange(warning.GetProperty("inSeconds").GetInt32(), 1, 4);
        Assert.Equal(CloseCodes.CredentialExpired, await stream.WaitForCloseAsync());
        Assert.Equal("credential expired", stream.CloseReason);
    }

    [Fact]
    public async Task Limits_StreamsAndSocketsShareTheUsersCap_TheNextIsRefusedWith429()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await using var stream = await TestEventStream.ConnectAsync(_server, user);
        await socket.ReadUntilSyncedAsync();
        await stream.ReadUntilSyncedAsync();

        var (status, body, response) = await TestEventStream.ExpectRefusalAsync(_server.BaseAddress, $"/sse?access_token={NotifyPushTestServer.UserToken(user)}");
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Too many sockets", JsonDocument.Parse(body).RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Refusals_ArePlainHttpWithProblemDetails()
    {
        var token = NotifyPushTestServer.UserToken(NewUser());
        Assert.Equal(HttpStatusCode.Unauthorized, (await TestEventStream.ExpectRefusalAsync(_server.BaseAddress, "/sse")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TestEventStream.ExpectRefusalAsync(_server.BaseAddress, "/sse", r => r.Headers.Add("Authorization", "ApiKey " + NotifyPushTestServer.ApiKey))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TestEventStream.ExpectRefusalAsync(_server.BaseAddress, $"/sse?access_token={NotifyPushTestServer.UserToken(NewUser(), expiresIn: TimeSpan.FromSeconds(-5))}")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await TestEventStream.ExpectRefusalAsync(_server.BaseAddress, $"/sse?access_token={token}&since=-1")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await TestEventStream.ExpectRefusalAsync(_server.BaseAddress, $"/sse?access_token={token}", r => r.Headers.Add("Last-Event-ID", "abc"))).Status);
        Assert.Equal(HttpStatusCode.NotAcceptable, (await TestEventStream.ExpectRefusalAsync(_server.BaseAddress, $"/sse?access_token={token}", r =>
        {
            r.Headers.Accept.Clear();
            r.Headers.Accept.ParseAdd("application/json");
        })).Status);
    }

    [Theory]
    [InlineData("https://evil.test", HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.Forbidden)]
    [InlineData("https://app.test", HttpStatusCode.OK)]
    public async Task Cookie_NeedsAnAllowedOrigin(string? origin, HttpStatusCode expected)
    {
        var user = NewUser();
        void Configure(HttpRequestMessage request)
        {
            request.Headers.Add("Cookie", "__Host-notifypush_token=" + NotifyPushTestServer.UserToken(user));
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }
        }

        if (expected == HttpStatusCode.OK)
        {
            await using var stream = await TestEventStream.ConnectAsync(_server.BaseAddress, "/sse", Configure);
            Assert.Equal(user, (await stream.NextAsync()).GetProperty("userId").GetString());
            return;
        }

        Assert.Equal(expected, (await TestEventStream.ExpectRefusalAsync(_server.BaseAddress, "/sse", Configure)).Status);
    }

    [Fact]
    public async Task Ack_OverPost_IsStoredAsTheUsersDeliveredPosition()
    {
        var user = NewUser();
        var token = NotifyPushTestServer.UserToken(user);
        using var api = _server.CreateServiceClient();
        for (var i = 1; i <= 3; i++)
        {
            await ServiceApi.SendAsync(api, user);
        }

        await using var stream = await TestEventStream.ConnectAsync(_server, user);
        await stream.ReadUntilSyncedAsync();
        using (var ack = await TestEventStream.AckAsync(_server, token, """{"seq":2}"""))
        {
            Assert.Equal(HttpStatusCode.NoContent, ack.StatusCode);
        }

        await ServiceApi.EventuallyAsync(async () =>
        {
            using var history = await api.GetAsync($"/api/users/{user}/notifications?after=0&limit=10");
            return JsonDocument.Parse(await history.Content.ReadAsStringAsync()).RootElement.GetProperty("ackedSeq").GetInt64() == 2;
        }, "the ack of seq 2 stored");

        // A new stream without a resume point replays only what is not acknowledged.
        await using var next = await TestEventStream.ConnectAsync(_server, user);
        var (replayed, _) = await next.ReadUntilSyncedAsync();
        Assert.Equal([3L], replayed.Select(n => n.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task Ack_WithoutAStreamOnThisReplica_IsCheckedAgainstTheStore()
    {
        var user = NewUser();
        var token = NotifyPushTestServer.UserToken(user);
        using var api = _server.CreateServiceClient();
        await ServiceApi.SendAsync(api, user);
        await ServiceApi.SendAsync(api, user);

        using var within = await TestEventStream.AckAsync(_server, token, """{"seq":2}""");
        Assert.Equal(HttpStatusCode.NoContent, within.StatusCode);
        using var beyond = await TestEventStream.AckAsync(_server, token, """{"seq":3}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, beyond.StatusCode);
        Assert.Equal("application/problem+json", beyond.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("""{"seq":-1}""")]
    [InlineData("""{"seq":"2"}""")]
    [InlineData("""{"type":"ack"}""")]
    [InlineData("not json")]
    [InlineData("[2]")]
    public async Task Ack_WithAMalformedBody_Is400(string body)
    {
        using var response = await TestEventStream.AckAsync(_server, NotifyPushTestServer.UserToken(NewUser()), body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Ack_WithoutAUserCredential_Is401_AndTheQueryTokenIsNotAcceptedThere()
    {
        using var anonymous = await TestEventStream.AckAsync(_server, "", """{"seq":0}""");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var client = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TestSocket.DefaultTimeout };
        using var viaQuery = await client.PostAsync($"/sse/ack?access_token={NotifyPushTestServer.UserToken(NewUser())}", new StringContent("""{"seq":0}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, viaQuery.StatusCode);
    }

    [Theory]
    [InlineData("https://app.test", HttpStatusCode.NoContent)]
    [InlineData("https://evil.test", HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.Forbidden)]
    public async Task Ack_WithACookie_NeedsAnAllowedOrigin(string? origin, HttpStatusCode expected)
    {
        // A cookie rides along on a cross-site POST: without the Origin check any site could acknowledge for the user.
        using var client = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TestSocket.DefaultTimeout };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sse/ack") { Content = new StringContent("""{"seq":0}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("Cookie", "__Host-notifypush_token=" + NotifyPushTestServer.UserToken(NewUser()));
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task AccessToken_InTheStreamsQuery_IsNeverLogged()
    {
        var user = NewUser();
        var token = NotifyPushTestServer.UserToken(user);
        await using (var stream = await TestEventStream.ConnectAsync(_server.BaseAddress, $"/sse?access_token={token}"))
        {
            await stream.ReadUntilSyncedAsync();
        }

        var signature = token.Split('.')[2];
        await ServiceApi.EventuallyAsync(() => Task.FromResult(_server.Logs.Any(l => l.Message.Contains("Accepted event stream", StringComparison.Ordinal))), "the stream's accept logged");
        Assert.DoesNotContain(_server.Logs, l => l.AllText().Any(t => t.Contains(signature, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Shutdown_EndsStreamsWithACloseEvent1012()
    {
        var server = new NotifyPushTestServer();
        await using var stream = await TestEventStream.ConnectAsync(server, NewUser());
        await stream.ReadUntilSyncedAsync();
        var stopping = Task.Run(server.Dispose);
        Assert.Equal(CloseCodes.ServiceRestart, await stream.WaitForCloseAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task StalledReader_IsEndedWithACloseEvent4008_AndResumesWithLastEventIdWithNothingLost()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:SendQueueCapacity"] = "1024",
            ["NotifyPush:Connections:SendQueueBytes"] = "1048576",
            ["NotifyPush:Connections:SendTimeoutSeconds"] = "60",
            ["NotifyPush:Api:MaxPayloadBytes"] = "2000000",
        });
        using var api = server.CreateServiceClient();
        var user = NewUser();
        await using var stalled = await TestEventStream.ConnectAsync(server, user, read: false);
        var registry = server.GetService<NotifyPush.Core.Connections.ConnectionRegistry>();
        await ServiceApi.EventuallyAsync(() => Task.FromResult(registry.GetConnections(user).Length == 1), "the stream is registered");
        var connection = registry.GetConnections(user)[0];
        Assert.Equal("sse", connection.Transport);

        // 200 KB events: the kernel's buffers take some of them, then the queue's 1 MiB fills, as for a socket.
        var payload = new string('x', 200_000);
        var sent = 0;
        while (connection.CloseCode == 0)
        {
            await ServiceApi.SendAsync(api, user, payload: new { payload });
            sent++;
            Assert.True(sent < 150, $"The server kept queueing for a stalled reader: {sent} events of 200 KB and no 4008.");
        }

        Assert.Equal(CloseCodes.SlowConsumer, connection.CloseCode);
        Assert.Equal(CloseCodes.SlowConsumer, await stalled.WaitForCloseAsync(TimeSpan.FromSeconds(30)));
        var received = stalled.Events.Where(e => e.Event == "notification").Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();

        await using var again = await TestEventStream.ConnectAsync(server, user, lastEventId: stalled.LastEventId ?? "0");
        var (replayed, synced) = await again.ReadUntilSyncedAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(1, sent).Select(i => (long)i), received.Concat(replayed.Select(f => f.GetProperty("seq").GetInt64())));
        Assert.True(synced.GetProperty("recovered").GetBoolean());
    }
}
