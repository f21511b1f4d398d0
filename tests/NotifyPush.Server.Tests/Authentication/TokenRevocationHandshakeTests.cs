using System.Net;
using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

/// <summary>The handshake's token revocation check on one replica (the cluster behaviour is in ClusterSignOutTests).</summary>
public sealed class TokenRevocationHandshakeTests
{
    [Fact]
    public async Task Handshake_WhenTheRevocationStateCannotBeRead_Answers503WithRetryAfter_Not401()
    {
        using var server = new NotifyPushTestServer(services: services => services.AddSingleton<ITokenRevocationStore, UnavailableRevocationStore>());
        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ws");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken($"user-{Guid.NewGuid():N}"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var response = await client.SendAsync(request, timeout.Token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Handshake_WithATokenWithoutIatOrNbf_IsRefusedOnceTheUserHasARevocation_AndAcceptedBefore()
    {
        using var server = new NotifyPushTestServer();
        var user = $"user-{Guid.NewGuid():N}";
        var payload = new Dictionary<string, object?>
        {
            ["iss"] = NotifyPushTestServer.Issuer,
            ["aud"] = NotifyPushTestServer.Audience,
            ["sub"] = user,
            ["exp"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds(),
        };
        var token = TestTokens.SignHs256(payload, System.Text.Encoding.UTF8.GetBytes(NotifyPushTestServer.SigningKey));

        await using (var socket = await TestSocket.ConnectAsync(server.SocketUri($"access_token={token}")))
        {
            await socket.ReadUntilSyncedAsync();
        }

        using var api = server.CreateServiceClient();
        using (var response = await api.PostAsync($"/api/users/{user}/disconnect", System.Net.Http.Json.JsonContent.Create(new { revokeTokens = true })))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(server.SocketUri($"access_token={token}")));
    }
}
