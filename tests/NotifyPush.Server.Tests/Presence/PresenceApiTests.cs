using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Presence;

/// <summary>Presence on one replica (the embedded default): the API's answers, limits and errors.</summary>
public sealed class PresenceApiTests
{
    [Fact]
    public async Task Presence_FollowsAUsersSockets_AndRemembersWhenTheLastOneClosed()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Presence:FlushIntervalMilliseconds"] = "100" });
        using var api = server.CreateServiceClient();
        var user = NewUser("presence");

        var never = await GetAsync(api, user);
        Assert.Equal(user, never.GetProperty("userId").GetString());
        Assert.False(never.GetProperty("online").GetBoolean());
        Assert.Equal(0, never.GetProperty("sockets").GetInt32());
        Assert.Equal(0, never.GetProperty("replicas").GetInt32());
        Assert.Equal(JsonValueKind.Null, never.GetProperty("lastSeenAt").ValueKind);

        await using (var first = await TestSocket.ConnectAsync(server, user))
        await using (var second = await TestSocket.ConnectAsync(server, user))
        {
            await first.ReadUntilSyncedAsync();
            await second.ReadUntilSyncedAsync();
            var online = await GetAsync(api, user);
            Assert.True(online.GetProperty("online").GetBoolean());
            Assert.Equal(2, online.GetProperty("sockets").GetInt32());
            Assert.Equal(1, online.GetProperty("replicas").GetInt32());
        }

        var closedAt = DateTimeOffset.UtcNow;
        JsonElement offline = default;
        await ServiceApi.EventuallyAsync(async () => !(offline = await GetAsync(api, user)).GetProperty("online").GetBoolean(), "the user is offline once both sockets closed");
        Assert.Equal(0, offline.GetProperty("sockets").GetInt32());
        var lastSeen = offline.GetProperty("lastSeenAt").GetDateTimeOffset();
        Assert.InRange(lastSeen, closedAt.AddSeconds(-10), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task PresenceOfMany_AnswersEachDistinctUserInRequestOrder()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        var (online, offline) = (NewUser("presence"), NewUser("presence"));
        await using var socket = await TestSocket.ConnectAsync(server, online);
        await socket.ReadUntilSyncedAsync();

        using var response = await api.PostAsJsonAsync("/api/presence", new { userIds = new[] { offline, online, offline, "user/with/slashes" } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var users = body.RootElement.GetProperty("users").EnumerateArray().ToList();
        Assert.Equal([offline, online, "user/with/slashes"], users.Select(u => u.GetProperty("userId").GetString()));
        Assert.Equal([false, true, false], users.Select(u => u.GetProperty("online").GetBoolean()));
        Assert.Equal(1, users[1].GetProperty("sockets").GetInt32());
    }

    [Fact]
    public async Task PresenceOfMany_AnswersTenThousandUsersInOneCall_AndRefusesMore()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        var ids = Enumerable.Range(0, 10_000).Select(i => $"presence-{i}-{Guid.NewGuid():N}").ToArray();
        using (var response = await api.PostAsJsonAsync("/api/presence", new { userIds = ids }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(10_000, body.RootElement.GetProperty("users").GetArrayLength());
        }

        using var tooMany = await api.PostAsJsonAsync("/api/presence", new { userIds = ids.Append("one-more").ToArray() });
        await AssertProblemAsync(tooMany, HttpStatusCode.BadRequest, "10000");
    }

    [Theory]
    [InlineData("{}", "userIds")]
    [InlineData("""{"userIds":[]}""", "userIds")]
    [InlineData("""{"userIds":["ok",""]}""", "userIds[1]")]
    [InlineData("""{"userIds":["ok",null]}""", "userIds[1]")]
    [InlineData("""{"userIds":"alice"}""", "JSON")]
    [InlineData("not json", "JSON")]
    public async Task PresenceOfMany_WithABadBody_Is400NamingTheProblem(string body, string named)
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        using var response = await api.PostAsync("/api/presence", new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, HttpStatusCode.BadRequest, named);
    }

    [Fact]
    public async Task Presence_NeedsAServiceCredential_AndRefusesAUserToken()
    {
        using var server = new NotifyPushTestServer();
        using var anonymous = server.CreateClient();
        using (var response = await anonymous.GetAsync($"/api/users/{NewUser("presence")}/presence"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using var user = server.CreateClient();
        var userId = NewUser("presence");
        user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken(userId));
        using (var response = await user.GetAsync($"/api/users/{userId}/presence"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using (var response = await user.PostAsJsonAsync("/api/presence", new { userIds = new[] { userId } }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }

    private static async Task<JsonElement> GetAsync(HttpClient api, string userId)
    {
        using var response = await api.GetAsync($"/api/users/{Uri.EscapeDataString(userId)}/presence");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"presence of {userId}: {(int)response.StatusCode} {text}");
        using var body = JsonDocument.Parse(text);
        return body.RootElement.Clone();
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string named)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(named, text, StringComparison.Ordinal);
    }
}
