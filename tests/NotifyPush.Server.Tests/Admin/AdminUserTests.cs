using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Server.Tests.WebPush;

namespace NotifyPush.Server.Tests.Admin;

/// <summary><c>GET /api/admin/users/{userId}</c>: how the admin view shows a user's transports and push subscriptions.</summary>
public sealed class AdminUserTests
{
    [Fact]
    public async Task User_ShowsSocketsAndEventStreamsHere_AndPushSubscriptionsByHostOnly()
    {
        var vapid = VapidKeyPair.Create();
        var settings = vapid.Settings();
        settings["NotifyPush:Admin:Enabled"] = "true";
        settings["NotifyPush:WebPush:AllowedEndpointHosts:1"] = "fcm.googleapis.com";
        settings.Remove("NotifyPush:WebPush:AllowInsecureEndpoints");
        using var server = new NotifyPushTestServer(settings);
        var userId = $"admin/{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(server, userId);
        await using var stream = await TestEventStream.ConnectAsync(server, userId);
        await socket.ReadUntilSyncedAsync();
        await stream.ReadUntilSyncedAsync();
        using var browser = new BrowserSubscription(new Uri("https://fcm.googleapis.com/fcm/send/secret-capability-path"));
        await WebPushClient.SubscribeAsync(server, userId, browser);
        using var api = server.CreateServiceClient();

        using var response = await api.GetAsync($"/api/admin/users/{Uri.EscapeDataString(userId)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret-capability-path", text, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(text);
        Assert.Equal(userId, body.RootElement.GetProperty("userId").GetString());
        Assert.Equal(1, body.RootElement.GetProperty("webSockets").GetInt32());
        Assert.Equal(1, body.RootElement.GetProperty("eventStreams").GetInt32());
        var subscription = Assert.Single(body.RootElement.GetProperty("pushSubscriptions").EnumerateArray());
        Assert.Equal("fcm.googleapis.com", subscription.GetProperty("host").GetString());
        Assert.True(subscription.TryGetProperty("createdAt", out _));
    }

    [Fact]
    public async Task User_NeedsTheAdminScope()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Admin:Enabled"] = "true" });
        using var user = server.CreateClient();
        user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken("someone"));

        using var response = await user.GetAsync("/api/admin/users/someone");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
