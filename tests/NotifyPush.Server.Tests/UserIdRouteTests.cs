using System.Net;
using System.Text.Json;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Protocol;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>
/// User ids in the path routes (<c>/api/users/{userId}/…</c>): every id the API accepts, escaped, reaches exactly that
/// user, also ids that hold <c>/</c>, <c>%</c>, the literal text <c>%2F</c>, spaces or any Unicode.
/// </summary>
public sealed class UserIdRouteTests : IDisposable
{
    private readonly NotifyPushTestServer _server = new();

    public void Dispose() => _server.Dispose();

    /// <summary>
    /// Ids that a decoder would confuse with each other if it decoded once too often or too rarely, or took <c>%2F</c>
    /// as a separator; each test makes them unique with its own tag.
    /// </summary>
    private static string[] ConfusableIds(string tag) =>
    [
        $"{tag}a/b",
        $"{tag}a%2Fb",
        $"{tag}a%2fb",
        $"{tag}a%252Fb",
        $"{tag}a%25b",
        $"{tag}a%b",
        $"{tag}a%",
        $"{tag}a b",
        $"{tag}a+b",
        $"{tag}a?b#c",
        $"{tag}a\\b",
        $"{tag}a;b=c",
        $"{tag}tenant/42/",
        $"/{tag}",
        $"{tag}//",
        $"{tag}/./",
        $"{tag}/../x",
        $"{tag}é",
        $"{tag}e\u0301",
        $"{tag}ü/😀",
    ];

    [Fact]
    public async Task History_ForUserIdsThatNeedEscaping_ReadsExactlyThatUsersStream()
    {
        using var api = _server.CreateServiceClient();
        var users = ConfusableIds(Tag());
        foreach (var user in users)
        {
            await ServiceApi.SendAsync(api, user, "private", new { to = user });
        }

        foreach (var user in users)
        {
            using var response = await api.GetAsync($"/api/users/{Uri.EscapeDataString(user)}/notifications");
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{user}: {(int)response.StatusCode} {text}");
            var body = JsonDocument.Parse(text).RootElement;
            Assert.Equal(user, body.GetProperty("userId").GetString());
            var notification = Assert.Single(body.GetProperty("notifications").EnumerateArray());
            Assert.Equal(user, notification.GetProperty("payload").GetProperty("to").GetString());
        }
    }

    [Fact]
    public async Task Disconnect_ForUserIdsThatNeedEscaping_ClosesOnlyThatUsersSockets()
    {
        using var api = _server.CreateServiceClient();
        var users = ConfusableIds(Tag());
        var sockets = new Dictionary<string, TestSocket>(StringComparer.Ordinal);
        try
        {
            foreach (var user in users)
            {
                var socket = await TestSocket.ConnectAsync(_server, user);
                sockets[user] = socket;
                var welcome = await socket.NextOfTypeAsync("welcome");
                Assert.Equal(user, welcome.GetProperty("userId").GetString());
                await socket.ReadUntilSyncedAsync();
            }

            var open = users.ToList();
            var round = 0;
            foreach (var user in users)
            {
                round++;
                using var response = await api.PostAsync($"/api/users/{Uri.EscapeDataString(user)}/disconnect", null);
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{user}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                Assert.Equal(CloseCodes.SignedOut, await sockets[user].WaitForCloseAsync());
                open.Remove(user);
                if (open.Count == 0)
                {
                    break;
                }

                // Every other user's socket is still open: it receives the next notification.
                await ServiceApi.SendAsync(api, open, "still-open", new { round });
                foreach (var other in open)
                {
                    var frame = (await sockets[other].ReadNotificationsAsync(1)).Single();
                    Assert.Equal(round, frame.GetProperty("payload").GetProperty("round").GetInt32());
                }
            }
        }
        finally
        {
            await Task.WhenAll(sockets.Values.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    [Theory]
    [InlineData("{0}a%2fb%3Ac", "{0}a/b:c")]
    [InlineData("{0}a%2Fb:c", "{0}a/b:c")]
    [InlineData("{0}%C3%BC", "{0}ü")]
    [InlineData("{0}%c3%bc", "{0}ü")]
    public async Task History_WithAnyValidSpellingOfTheEscapes_ReachesTheSameUser(string rawSegment, string userId)
    {
        var tag = Tag();
        using var api = _server.CreateServiceClient();
        await ServiceApi.SendAsync(api, string.Format(userId, tag), "private");

        using var response = await api.GetAsync($"/api/users/{string.Format(rawSegment, tag)}/notifications");

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(string.Format(userId, tag), body.GetProperty("userId").GetString());
        Assert.Equal(1, body.GetProperty("lastSeq").GetInt64());
    }

    [Theory]
    [InlineData("a%FFb")]
    [InlineData("a%C3")]
    [InlineData("a%E2%82")]
    [InlineData("a%ED%A0%80")]
    public async Task HistoryAndDisconnect_WithEscapesThatAreNotUtf8_Return400(string rawSegment)
    {
        using var api = _server.CreateServiceClient();

        using var history = await api.GetAsync($"/api/users/{rawSegment}/notifications");
        using var disconnect = await api.PostAsync($"/api/users/{rawSegment}/disconnect", null);

        await AssertProblemAsync(history, HttpStatusCode.BadRequest);
        await AssertProblemAsync(disconnect, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("/api/users/{0}x/../{0}y/notifications")]
    [InlineData("/api/users/{0}x/%2E%2E/{0}y/notifications")]
    [InlineData("/api/users/{0}y/notifications/x/..")]
    [InlineData("/api/users/{0}y/./notifications")]
    public async Task History_WithDotSegmentsInTheRawPath_Returns400(string target)
    {
        // The server removes dot segments before routing, so these route to user "…y": refused rather than guessed.
        var tag = Tag();
        using var api = _server.CreateServiceClient();
        await ServiceApi.SendAsync(api, $"{tag}y", "private");

        var response = await RawHttp.SendAsync(_server.BaseAddress, "GET", string.Format(target, tag), [$"Authorization: ApiKey {NotifyPushTestServer.ApiKey}"]);

        Assert.True(response.Status == HttpStatusCode.BadRequest, $"{(int)response.Status} {response.Body}");
        Assert.Equal("application/problem+json", response.Headers["Content-Type"].Split(';')[0]);
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task Post_ToADotSegmentUserId_Returns400(string userId)
    {
        // The path routes cannot carry these: clients and servers remove dot segments from paths, escaped or not.
        using var api = _server.CreateServiceClient();

        using var single = await ServiceApi.PostRawAsync(api, JsonSerializer.Serialize(new { userId, type = "t" }));
        using var many = await ServiceApi.PostRawAsync(api, JsonSerializer.Serialize(new { userIds = new[] { Tag(), userId }, type = "t" }));

        var problem = await AssertProblemAsync(single, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("userId", out _), problem.ToString());
        problem = await AssertProblemAsync(many, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("userIds[1]", out _), problem.ToString());
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task Connect_WithADotSegmentUserId_IsRefusedWith401(string userId)
    {
        var status = await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={NotifyPushTestServer.UserToken(userId)}"));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement;
    }

    private static string Tag() => $"{Guid.NewGuid():N}:";
}
