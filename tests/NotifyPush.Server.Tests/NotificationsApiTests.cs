using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>The service API over real HTTP: validation, idempotency, limits, credentials.</summary>
public sealed class NotificationsApiTests : IDisposable
{
    private readonly NotifyPushTestServer _server = new(new Dictionary<string, string?> { ["NotifyPush:Api:MaxPayloadBytes"] = "1024" });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Post_WithSameIdempotencyKeyAndBody_ReturnsTheOriginalIdAndSeq()
    {
        using var api = _server.CreateServiceClient();
        var user = NewUser();
        var first = await ServiceApi.SendAsync(api, user, payload: new { a = 1 }, idempotencyKey: "order-42-shipped");
        using var retry = await ServiceApi.PostRawAsync(api, JsonSerializer.Serialize(new { userId = user, type = "test.event", payload = new { a = 1 } }), "order-42-shipped");
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        var again = JsonDocument.Parse(await retry.Content.ReadAsStringAsync()).RootElement.GetProperty("notifications")[0];
        Assert.Equal(first[0].Id, again.GetProperty("id").GetGuid());
        Assert.Equal(first[0].Seq, again.GetProperty("seq").GetInt64());
        Assert.Equal(1, (await Store.GetStreamStateAsync(user, CancellationToken.None)).LastSeq);
    }

    [Fact]
    public async Task Post_WhenRetriedAfterTheNotificationExpiredAndWasCleanedUp_ReturnsTheOriginalIdAndSeq()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var server = new NotifyPushTestServer(services: services => services.AddSingleton<TimeProvider>(clock));
        using var api = server.CreateServiceClient();
        var store = server.GetService<INotificationStore>();
        var user = NewUser();
        var body = JsonSerializer.Serialize(new { userId = user, type = "test.event", payload = new { a = 1 }, ttlSeconds = 60 });
        using var first = await ServiceApi.PostRawAsync(api, body, "order-7-shipped");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var original = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("notifications")[0];

        // The notification expires unread and retention removes it; the service's retry comes after that.
        clock.Advance(TimeSpan.FromMinutes(5));
        await server.GetService<RetentionService>().RunOnceAsync(CancellationToken.None);
        Assert.Equal(1, (await store.GetStreamStateAsync(user, CancellationToken.None)).PrunedSeq);
        using var retry = await ServiceApi.PostRawAsync(api, body, "order-7-shipped");

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        var again = JsonDocument.Parse(await retry.Content.ReadAsStringAsync()).RootElement.GetProperty("notifications")[0];
        Assert.Equal(original.GetProperty("id").GetGuid(), again.GetProperty("id").GetGuid());
        Assert.Equal(original.GetProperty("seq").GetInt64(), again.GetProperty("seq").GetInt64());
        Assert.Equal(1, (await store.GetStreamStateAsync(user, CancellationToken.None)).LastSeq);
    }

    [Fact]
    public async Task Post_WhenRetriedAfterTheNotificationExpired_DoesNotRingItsDoorbellForAnOpenSocket()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var server = new NotifyPushTestServer(services: services => services.AddSingleton<TimeProvider>(clock));
        using var api = server.CreateServiceClient();
        var user = NewUser();
        var body = JsonSerializer.Serialize(new { userId = user, type = "expired", payload = new { a = 1 }, ttlSeconds = 60 });
        using (var first = await ServiceApi.PostRawAsync(api, body, "order-8-shipped"))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        // Expired, not yet removed (retention's next pass is 5 minutes away): the replay skips it, so the socket
        // stands before seq 1.
        clock.Advance(TimeSpan.FromMinutes(2));
        var socket = await TestSocket.ConnectAsync(server, user);
        try
        {
            var (replayed, _) = await socket.ReadUntilSyncedAsync();
            Assert.Empty(replayed);

            using (var retry = await ServiceApi.PostRawAsync(api, body, "order-8-shipped"))
            {
                Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
            }

            // The retry's doorbell would have carried the expired notification to the socket; the sentinel comes first.
            await ServiceApi.SendAsync(api, user, "sentinel");
            var next = (await socket.ReadNotificationsAsync(1))[0];
            Assert.Equal("sentinel", next.GetProperty("event").GetString());
            Assert.Equal(2, next.GetProperty("seq").GetInt64());
        }
        finally
        {
            // Closed before the server stops: draining waits on the fake clock, which does not move by itself.
            await socket.DisposeAsync();
            var registry = server.GetService<ConnectionRegistry>();
            await ServiceApi.EventuallyAsync(() => Task.FromResult(registry.ConnectionCount == 0), "the socket left the registry");
        }
    }

    [Fact]
    public async Task Post_WithSameIdempotencyKeyAndDifferentBody_Returns422AndStoresNothing()
    {
        using var api = _server.CreateServiceClient();
        var user = NewUser();
        await ServiceApi.SendAsync(api, user, payload: new { a = 1 }, idempotencyKey: "k-1");
        using var conflict = await ServiceApi.PostRawAsync(api, JsonSerializer.Serialize(new { userId = user, type = "test.event", payload = new { a = 2 } }), "k-1");
        await AssertProblemAsync(conflict, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(1, (await Store.GetStreamStateAsync(user, CancellationToken.None)).LastSeq);
    }

    [Fact]
    public async Task Post_WithPayloadOverTheLimit_Returns413AndStoresNothing()
    {
        using var api = _server.CreateServiceClient();
        var user = NewUser();
        using var response = await ServiceApi.PostRawAsync(api, JsonSerializer.Serialize(new { userId = user, type = "big", payload = new string('x', 2000) }));
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, (await Store.GetStreamStateAsync(user, CancellationToken.None)).LastSeq);
    }

    [Theory]
    [InlineData("{\"userId\": \"u\", \"type\": ")]
    [InlineData("not json")]
    public async Task Post_WithMalformedJson_Returns400(string body)
    {
        using var api = _server.CreateServiceClient();
        using var response = await ServiceApi.PostRawAsync(api, body);
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("""{"type":"t"}""", "userId")]
    [InlineData("""{"userId":"u","userIds":["v"],"type":"t"}""", "userId")]
    [InlineData("""{"userId":"","type":"t"}""", "userId")]
    [InlineData("""{"userId":"u"}""", "type")]
    [InlineData("""{"userId":"u","type":"t","ttlSeconds":0}""", "ttlSeconds")]
    [InlineData("""{"userIds":[],"type":"t"}""", "userIds")]
    [InlineData("""{"userIds":["a","a"],"type":"t"}""", "userIds[1]")]
    [InlineData("""{"userId":"u","type":"t","colour":"red"}""", "colour")]
    public async Task Post_WithInvalidFields_Returns400NamingTheField(string body, string field)
    {
        using var api = _server.CreateServiceClient();
        using var response = await ServiceApi.PostRawAsync(api, body);
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"No error for '{field}' in {problem}");
    }

    [Theory]
    [InlineData("""{"userId":"u","userId":"v","type":"t"}""", "userId")]
    [InlineData("""{"userId":"u","type":"t","type":"t2"}""", "type")]
    [InlineData("""{"userIds":["u"],"type":"t","userIds":["v"]}""", "userIds")]
    [InlineData("""{"userId":"u","type":"t","payload":1,"payload":2}""", "payload")]
    [InlineData("""{"userId":"u","type":"t","ttlSeconds":60,"ttlSeconds":60}""", "ttlSeconds")]
    [InlineData("""{"userId":"u","user\u0049d":"v","type":"t"}""", "userId")]
    public async Task Post_WithAFieldTwice_Returns400NamingTheFieldAndStoresNothing(string body, string field)
    {
        // Last-wins would let a body say one thing to a validating proxy (first-wins) and another to the server.
        using var api = _server.CreateServiceClient();
        using var response = await ServiceApi.PostRawAsync(api, body);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"No error for '{field}' in {problem}");
        Assert.Contains(messages.EnumerateArray(), m => m.GetString()!.Contains($"'{field}' more than once", StringComparison.Ordinal));
        foreach (var user in new[] { "u", "v" })
        {
            Assert.Equal(0, (await Store.GetStreamStateAsync(user, CancellationToken.None)).LastSeq);
        }
    }

    [Fact]
    public async Task Post_WithAKeyTwiceInsideThePayload_StoresThePayloadAsSent()
    {
        // The payload is the application's JSON: the service stores it as sent and lets the receiver's parser decide.
        using var api = _server.CreateServiceClient();
        var user = NewUser();
        using var response = await ServiceApi.PostRawAsync(api, $$$"""{"userId":"{{{user}}}","type":"t","payload":{"a":1,"a":2}}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var stored = Assert.Single(await Store.ReadAsync(user, 0, 10, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal("""{"a":1,"a":2}""", stored.PayloadJson);
    }

    public static TheoryData<string, byte[]> NotUtf8Bodies() => new()
    {
        { "a lone continuation byte in userId", Bytes("{\"userId\":\"u", [0x80], "\",\"type\":\"t\"}") },
        { "a truncated sequence in type", Bytes("{\"userId\":\"u\",\"type\":\"t", [0xC3], "\"}") },
        { "an encoded surrogate in a payload string", Bytes("{\"userId\":\"u\",\"type\":\"t\",\"payload\":{\"s\":\"", [0xED, 0xA0, 0x80], "\"}}") },
        { "latin-1 in a payload key", Bytes("{\"userId\":\"u\",\"type\":\"t\",\"payload\":{\"caf", [0xE9], "\":1}}") },
        { "latin-1 in a field name", Bytes("{\"userId\":\"u\",\"type\":\"t\",\"caf", [0xE9], "\":1}") },
        { "an overlong encoding of '/'", Bytes("{\"userId\":\"u", [0xC0, 0xAF], "\",\"type\":\"t\"}") },
    };

    [Theory]
    [MemberData(nameof(NotUtf8Bodies))]
    public async Task Post_WithABodyThatIsNotUtf8_Returns400AndStoresNothing(string why, byte[] body)
    {
        using var api = _server.CreateServiceClient();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await api.PostAsync("/api/notifications", content);

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("UTF-8", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await Store.GetStreamStateAsync("u", CancellationToken.None)).LastSeq);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Theory]
    [InlineData("latin1")]
    [InlineData("ISO-8859-1")]
    [InlineData("utf-16")]
    [InlineData("us-ascii")]
    public async Task Post_WithACharsetOtherThanUtf8_Returns415(string charset)
    {
        using var api = _server.CreateServiceClient();
        var user = NewUser();
        using var content = new ByteArrayContent(System.Text.Encoding.Latin1.GetBytes($$"""{"userId":"{{user}}","type":"café"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", $"application/json; charset={charset}");

        using var response = await api.PostAsync("/api/notifications", content);

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("UTF-8", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await Store.GetStreamStateAsync(user, CancellationToken.None)).LastSeq);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=UTF-8")]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json;charset=utf8")]
    [InlineData("application/problem+json; charset=utf-8")]
    public async Task Post_AsUtf8Json_IsAccepted(string contentType)
    {
        using var api = _server.CreateServiceClient();
        var user = NewUser();
        using var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes($$"""{"userId":"{{user}}","type":"café"}"""));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await api.PostAsync("/api/notifications", content);

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("café", Assert.Single(await Store.ReadAsync(user, 0, 10, DateTimeOffset.UtcNow, CancellationToken.None)).Type);
    }

    [Fact]
    public async Task Post_WithAUtf8ByteOrderMark_IsAccepted()
    {
        using var api = _server.CreateServiceClient();
        var user = NewUser();
        using var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes($$"""{"userId":"{{user}}","type":"t"}""")]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await api.PostAsync("/api/notifications", content);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Post_WithoutCredential_Returns401()
    {
        using var anonymous = _server.CreateClient();
        using var response = await ServiceApi.PostRawAsync(anonymous, """{"userId":"u","type":"t"}""");
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Post_WithWrongApiKey_Returns401()
    {
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", "not-the-key");
        using var response = await ServiceApi.PostRawAsync(client, """{"userId":"u","type":"t"}""");
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Post_WithAUserToken_IsRefusedAndStoresNothing()
    {
        var user = NewUser();
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken(user));
        using var response = await ServiceApi.PostRawAsync(client, JsonSerializer.Serialize(new { userId = user, type = "t" }));
        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(0, (await Store.GetStreamStateAsync(user, CancellationToken.None)).LastSeq);
    }

    [Fact]
    public async Task Post_AsText_Returns415()
    {
        using var api = _server.CreateServiceClient();
        using var response = await api.PostAsync("/api/notifications", new StringContent("""{"userId":"u","type":"t"}"""));
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task History_ListsNotificationsWithDeliveryState()
    {
        using var api = _server.CreateServiceClient();
        var user = NewUser();
        for (var i = 1; i <= 3; i++)
        {
            await ServiceApi.SendAsync(api, user, "order.update", new { step = i });
        }

        await Store.AcknowledgeAsync([new StreamAck(user, 2)], CancellationToken.None);
        using var response = await api.GetAsync($"/api/users/{Uri.EscapeDataString(user)}/notifications?after=1&limit=10");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, body.GetProperty("lastSeq").GetInt64());
        Assert.Equal(2, body.GetProperty("ackedSeq").GetInt64());
        var items = body.GetProperty("notifications").EnumerateArray().ToList();
        Assert.Equal([2L, 3L], items.Select(i => i.GetProperty("seq").GetInt64()));
        Assert.True(items[0].GetProperty("delivered").GetBoolean());
        Assert.False(items[1].GetProperty("delivered").GetBoolean());
        Assert.Equal(3, items[1].GetProperty("payload").GetProperty("step").GetInt32());
    }

    [Fact]
    public async Task History_WithInvalidLimit_Returns400()
    {
        using var api = _server.CreateServiceClient();
        using var response = await api.GetAsync("/api/users/someone/notifications?limit=0");
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    private INotificationStore Store => _server.GetService<INotificationStore>();

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private static byte[] Bytes(string before, byte[] bytes, string after) =>
        [.. System.Text.Encoding.UTF8.GetBytes(before), .. bytes, .. System.Text.Encoding.UTF8.GetBytes(after)];
}
