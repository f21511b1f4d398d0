using System.Net;
using System.Security.Cryptography;
using NotifyPush.Core.Protocol;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

/// <summary>The socket credential end to end on a real server: its deadline, and keys rotated by an OpenID Connect authority.</summary>
public sealed class SocketCredentialTests
{

    [Fact]
    public async Task Handshake_WithTokenExpiredWithinTheClockSkew_KeepsTheSocketUntilExpiryPlusSkewThenWarnsAndCloses()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Auth:Jwt:ClockSkewSeconds"] = "10",
            ["NotifyPush:Connections:HeartbeatSeconds"] = "1",
            ["NotifyPush:Connections:TokenExpiryWarningSeconds"] = "2",
        });
        var user = NewUser("u");

        // exp lies 2-3 s in the past (JWT times are whole seconds): accepted within the 10 s skew, so the socket's
        // deadline is 7-8 s ahead and its warning 5-6 s ahead, room enough for the send below on a loaded machine.
        // Were it the raw exp, the first heartbeat tick would close it with no warning.
        await using var socket = await TestSocket.ConnectAsync(server, user, $"access_token={NotifyPushTestServer.UserToken(user, TimeSpan.FromSeconds(-2))}");
        await socket.ReadUntilSyncedAsync();
        using var api = server.CreateServiceClient();
        await ServiceApi.SendAsync(api, user);
        Assert.Equal(1, (await socket.ReadNotificationsAsync(1))[0].GetProperty("seq").GetInt64());

        var warning = await socket.NextOfTypeAsync("token-expiring");
        Assert.InRange(warning.GetProperty("inSeconds").GetInt32(), 1, 3);
        Assert.Equal(CloseCodes.CredentialExpired, await socket.WaitForCloseAsync());
    }

    [Fact]
    public async Task Handshake_AfterTheAuthorityRotatesItsKey_AcceptsTokensOfTheNewKey()
    {
        await using var authority = await OidcTestAuthority.StartAsync();
        authority.Keys["rsa-1"] = TestTokens.RsaJsonWebKey("rsa-1");
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Auth:Jwt:SigningKey"] = null,
            ["NotifyPush:Auth:Jwt:Issuer"] = null,
            ["NotifyPush:Auth:Jwt:Authority"] = authority.Authority,
            ["NotifyPush:Auth:Jwt:RequireHttpsMetadata"] = "false",
            ["NotifyPush:Auth:Jwt:MetadataRefreshSeconds"] = "1",
        });
        string Token(string userId, RSA key, string keyId) => TestTokens.SignRs256(
            TestTokens.Payload(userId, issuer: authority.Authority, audience: NotifyPushTestServer.Audience, expires: DateTimeOffset.UtcNow.AddMinutes(5)), key, keyId);

        var before = NewUser("u");
        await using (var first = await TestSocket.ConnectAsync(server, before, $"access_token={Token(before, TestTokens.Rsa, "rsa-1")}"))
        {
            await first.ReadUntilSyncedAsync();
        }

        using var rotated = RSA.Create(2048);
        authority.Keys["rsa-2"] = TestTokens.RsaJsonWebKey("rsa-2", key: rotated);
        authority.Keys.TryRemove("rsa-1", out _);
        var fetchesBeforeRotation = authority.JwksRequests;
        var after = NewUser("u");
        var token = Token(after, rotated, "rsa-2");

        // A token with an unknown kid makes the handler refresh the keys and retry; a refresh is allowed once per
        // MetadataRefreshSeconds, so an attempt inside the second after the first fetch may still be refused.
        TestSocket? socket = null;
        await ServiceApi.EventuallyAsync(async () =>
        {
            try
            {
                socket = await TestSocket.ConnectAsync(server.SocketUri($"access_token={token}"));
                return true;
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                return false;
            }
        }, "a token of the rotated key is accepted");
        await using (socket)
        {
            var (_, synced) = await socket!.ReadUntilSyncedAsync();
            Assert.Equal("synced", synced.GetProperty("type").GetString());
        }

        Assert.True(authority.JwksRequests > fetchesBeforeRotation);
        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(server.SocketUri($"access_token={Token(NewUser("u"), TestTokens.Rsa, "rsa-1")}")));
    }
}
