using System.Net;
using System.Net.WebSockets;
using System.Text;
using NotifyPush.Core.Protocol;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>The socket's handshake, frames and close codes against a real server.</summary>
public sealed class SocketProtocolTests : IDisposable
{
    private readonly NotifyPushTestServer _server = new(new Dictionary<string, string?>
    {
        ["NotifyPush:Connections:MaxInboundFrameBytes"] = "1024",
        ["NotifyPush:Connections:MaxSocketsPerUser"] = "2",
        ["NotifyPush:Connections:TokenExpiryWarningSeconds"] = "2",
        ["NotifyPush:Connections:HeartbeatSeconds"] = "1",
        ["NotifyPush:Auth:Jwt:ClockSkewSeconds"] = "0",
    });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task Connect_SendsWelcomeThenSynced()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        var welcome = await socket.NextAsync();
        Assert.Equal("welcome", welcome.GetProperty("type").GetString());
        Assert.Equal(user, welcome.GetProperty("userId").GetString());
        Assert.False(string.IsNullOrEmpty(welcome.GetProperty("connectionId").GetString()));
        Assert.Equal(1, welcome.GetProperty("heartbeatSeconds").GetInt32());
        Assert.Equal(ServerFrames.ProtocolVersion, welcome.GetProperty("protocol").GetInt32());
        var synced = await socket.NextAsync();
        Assert.Equal("synced", synced.GetProperty("type").GetString());
        Assert.Equal(0, synced.GetProperty("seq").GetInt64());
        Assert.True(synced.GetProperty("recovered").GetBoolean());
    }

    [Fact]
    public async Task Connect_WithBearerHeader_IsAccepted()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server.SocketUri(), configure: o => o.SetRequestHeader("Authorization", "Bearer " + NotifyPushTestServer.UserToken(user)));
        Assert.Equal(user, (await socket.NextOfTypeAsync("welcome")).GetProperty("userId").GetString());
    }

    [Fact]
    public async Task Connect_WithCookieAndAllowedOrigin_IsAccepted()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server.SocketUri(), configure: o =>
        {
            o.SetRequestHeader("Cookie", "__Host-notifypush_token=" + NotifyPushTestServer.UserToken(user));
            o.SetRequestHeader("Origin", "https://app.test");
        });
        Assert.Equal(user, (await socket.NextOfTypeAsync("welcome")).GetProperty("userId").GetString());
    }

    [Theory]
    [InlineData("https://evil.test")]
    [InlineData(null)]
    public async Task Connect_WithCookieAndForeignOrMissingOrigin_Is403(string? origin)
    {
        var status = await TestSocket.ExpectRefusalAsync(_server.SocketUri(), o =>
        {
            o.SetRequestHeader("Cookie", "__Host-notifypush_token=" + NotifyPushTestServer.UserToken(NewUser()));
            if (origin is not null)
            {
                o.SetRequestHeader("Origin", origin);
            }
        });
        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task Connect_WithoutCredential_Is401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(_server.SocketUri()));
    }

    [Fact]
    public async Task Connect_WithServiceApiKey_Is401()
    {
        var status = await TestSocket.ExpectRefusalAsync(_server.SocketUri(), o => o.SetRequestHeader("Authorization", "ApiKey " + NotifyPushTestServer.ApiKey));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Connect_WithServiceToken_Is401()
    {
        var token = NotifyPushTestServer.UserToken(NewUser(), audience: NotifyPushTestServer.ServiceAudience);
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={token}")));
    }

    [Fact]
    public async Task Connect_WithExpiredToken_Is401()
    {
        var token = NotifyPushTestServer.UserToken(NewUser(), expiresIn: TimeSpan.FromSeconds(-5));
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={token}")));
    }

    [Fact]
    public async Task Connect_WithWrongIssuerOrAudience_Is401()
    {
        var wrongIssuer = NotifyPushTestServer.UserToken(NewUser(), issuer: "https://other.test");
        var wrongAudience = NotifyPushTestServer.UserToken(NewUser(), audience: "someone-else");
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={wrongIssuer}")));
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={wrongAudience}")));
    }

    [Fact]
    public async Task Connect_WithUnsignedOrTamperedToken_Is401()
    {
        var token = NotifyPushTestServer.UserToken(NewUser());
        var parts = token.Split('.');
        var unsigned = Base64Url("""{"alg":"none","typ":"JWT"}""") + "." + parts[1] + ".";
        var tampered = parts[0] + "." + Base64Url("""{"sub":"admin","iss":"https://issuer.test","aud":"notifypush-test","exp":4102444800}""") + "." + parts[2];
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={unsigned}")));
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={tampered}")));
    }

    [Fact]
    public async Task Connect_WithEmptyUserClaim_Is401()
    {
        var token = NotifyPushTestServer.UserToken(" ");
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={token}")));
    }

    [Fact]
    public async Task Connect_BeyondTheSocketLimitOfAUser_Is429()
    {
        var user = NewUser();
        await using var first = await TestSocket.ConnectAsync(_server, user);
        await using var second = await TestSocket.ConnectAsync(_server, user);
        var status = await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={NotifyPushTestServer.UserToken(user)}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
    }

    [Fact]
    public async Task Connect_WithInvalidSince_Is400()
    {
        var user = NewUser();
        var status = await TestSocket.ExpectRefusalAsync(_server.SocketUri($"since=-1&access_token={NotifyPushTestServer.UserToken(user)}"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task QueryToken_NeverReachesTheLogs()
    {
        var user = NewUser();
        var token = NotifyPushTestServer.UserToken(user);
        await using (var socket = await TestSocket.ConnectAsync(_server, user, $"access_token={token}"))
        {
            await socket.ReadUntilSyncedAsync();
        }

        await TestSocket.ExpectRefusalAsync(_server.SocketUri($"access_token={token}x"));
        var logs = _server.Logs;
        Assert.Contains(logs, l => l.Message.Contains("/ws", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, l => l.AllText().Any(text => text.Contains(token, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Refresh_WithAnotherUsersToken_ClosesWith1008()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await socket.ReadUntilSyncedAsync();
        await socket.SendTextAsync($$"""{"type":"auth","token":"{{NotifyPushTestServer.UserToken(NewUser())}}"}""");
        Assert.Equal(CloseCodes.PolicyViolation, await socket.WaitForCloseAsync());
    }

    [Fact]
    public async Task Credential_WhenItExpiresWithoutRefresh_WarnsThenClosesWith4001()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user, $"access_token={NotifyPushTestServer.UserToken(user, TimeSpan.FromSeconds(4))}");
        var warning = await socket.NextOfTypeAsync("token-expiring");
        Assert.InRange(warning.GetProperty("inSeconds").GetInt32(), 1, 4);
        Assert.Equal(CloseCodes.CredentialExpired, await socket.WaitForCloseAsync());
    }

    [Fact]
    public async Task Credential_RefreshedInBand_KeepsTheSocketOpenPastTheOldExpiry()
    {
        var user = NewUser();
        var lifetime = TimeSpan.FromSeconds(4);
        var oldExpiry = DateTime.UtcNow + lifetime;
        await using var socket = await TestSocket.ConnectAsync(_server, user, $"access_token={NotifyPushTestServer.UserToken(user, lifetime)}");
        await socket.NextOfTypeAsync("token-expiring");
        await socket.SendTextAsync($$"""{"type":"auth","token":"{{NotifyPushTestServer.UserToken(user)}}"}""");

        // Wait until the old credential would have expired, then prove the socket still delivers.
        await ServiceApi.EventuallyAsync(() => Task.FromResult(DateTime.UtcNow > oldExpiry.AddSeconds(1) || socket.Closed.IsCompleted), "the old credential's expiry has passed");
        using var api = _server.CreateServiceClient();
        await ServiceApi.SendAsync(api, user);
        Assert.Equal(1, (await socket.ReadNotificationsAsync(1))[0].GetProperty("seq").GetInt64());
        Assert.False(socket.Closed.IsCompleted);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("""{"type":"dance"}""")]
    [InlineData("""{"type":"ack"}""")]
    [InlineData("""{"type":"ack","seq":99}""")]
    [InlineData("""[1,2,3]""")]
    public async Task ClientFrame_WhenMalformed_ClosesWith4400(string frame)
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await socket.ReadUntilSyncedAsync();
        await socket.SendTextAsync(frame);
        Assert.Equal(CloseCodes.MalformedFrame, await socket.WaitForCloseAsync());
    }

    [Fact]
    public async Task ClientFrame_WhenBinary_ClosesWith4400()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await socket.ReadUntilSyncedAsync();
        await socket.SendAsync([1, 2, 3], WebSocketMessageType.Binary);
        Assert.Equal(CloseCodes.MalformedFrame, await socket.WaitForCloseAsync());
    }

    [Fact]
    public async Task ClientFrame_OverTheSizeLimit_ClosesWith1009()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await socket.ReadUntilSyncedAsync();
        await socket.SendTextAsync($$"""{"type":"pong","padding":"{{new string('x', 4000)}}"}""");
        Assert.Equal(CloseCodes.MessageTooBig, await socket.WaitForCloseAsync());
    }

    [Fact]
    public async Task DisconnectApi_ClosesEverySocketOfTheUserWith4003()
    {
        var user = NewUser();
        var other = NewUser();
        await using var tab1 = await TestSocket.ConnectAsync(_server, user);
        await using var tab2 = await TestSocket.ConnectAsync(_server, user);
        await using var bystander = await TestSocket.ConnectAsync(_server, other);
        await tab1.ReadUntilSyncedAsync();
        await tab2.ReadUntilSyncedAsync();
        await bystander.ReadUntilSyncedAsync();

        using var api = _server.CreateServiceClient();
        using var response = await api.PostAsync($"/api/users/{user}/disconnect", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(CloseCodes.SignedOut, await tab1.WaitForCloseAsync());
        Assert.Equal(CloseCodes.SignedOut, await tab2.WaitForCloseAsync());

        await ServiceApi.SendAsync(api, other);
        Assert.Single(await bystander.ReadNotificationsAsync(1));
    }

    [Fact]
    public async Task PlainGet_OnTheSocketPath_WithAUserToken_Is400AndWithoutOne_Is401()
    {
        // The credential is checked first (authorization runs before any endpoint), then the upgrade.
        using var client = _server.CreateClient();
        using var anonymous = await client.GetAsync("/ws");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken(NewUser()));
        using var response = await client.GetAsync("/ws");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("8")]
    [InlineData("12")]
    [InlineData("14")]
    [InlineData(null)]
    public async Task Handshake_WithAnotherWebSocketVersionAndAValidToken_Is426NamingVersion13(string? version)
    {
        // RFC 6455 §4.2.2: a version the server does not speak gets 426 and the versions it does speak.
        var response = await RawHttp.SendAsync(_server.BaseAddress, "GET", $"/ws?access_token={NotifyPushTestServer.UserToken(NewUser())}", UpgradeHeaders(version));

        Assert.True(response.Status == HttpStatusCode.UpgradeRequired, $"{(int)response.Status} {response.Body}");
        Assert.Equal("13", response.Headers["Sec-WebSocket-Version"]);
        Assert.Equal("websocket", response.Headers["Upgrade"]);
        // RawHttp asked to close the connection after the answer: the server's own Connection header keeps that.
        Assert.Equal("Upgrade, close", response.Headers["Connection"]);
        Assert.Equal("application/problem+json", response.Headers["Content-Type"].Split(';')[0]);
        Assert.Equal(426, System.Text.Json.JsonDocument.Parse(response.Body).RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Handshake_WithWebSocketVersion8AndNoCredential_Is401()
    {
        // The credential is checked first, as for every other refusal.
        var response = await RawHttp.SendAsync(_server.BaseAddress, "GET", "/ws", UpgradeHeaders("8"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
    }

    [Fact]
    public async Task Handshake_WithVersion13OverRawHttp_Upgrades()
    {
        // The same request as above with version 13: only the version decided the 426.
        var response = await RawHttp.SendAsync(_server.BaseAddress, "GET", $"/ws?access_token={NotifyPushTestServer.UserToken(NewUser())}", UpgradeHeaders("13"));

        Assert.Equal(HttpStatusCode.SwitchingProtocols, response.Status);
    }

    [Fact]
    public async Task Shutdown_ClosesSocketsWith1012()
    {
        var server = new NotifyPushTestServer();
        var user = NewUser();
        var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();
        var stopping = Task.Run(server.Dispose);
        Assert.Equal(CloseCodes.ServiceRestart, await socket.WaitForCloseAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        await socket.DisposeAsync();
    }

    private static string Base64Url(string json) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static List<string> UpgradeHeaders(string? version)
    {
        List<string> headers = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="];
        if (version is not null)
        {
            headers.Add($"Sec-WebSocket-Version: {version}");
        }

        return headers;
    }
}
