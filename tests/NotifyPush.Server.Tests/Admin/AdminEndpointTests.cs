using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Admin;

/// <summary>The admin page and its data route: off by default, the data behind a service credential.</summary>
public sealed class AdminEndpointTests
{
    [Fact]
    public async Task Admin_IsOffByDefault()
    {
        using var server = new NotifyPushTestServer();
        using var api = server.CreateServiceClient();
        foreach (var path in new[] { "/admin", "/admin/admin.js", "/api/admin/replicas" })
        {
            using var response = await api.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Admin_WhenEnabled_ServesThePageToAnyoneButItsDataOnlyToAServiceCredential()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Admin:Enabled"] = "true" });
        using var anonymous = server.CreateClient();
        using (var page = await anonymous.GetAsync("/admin"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("/admin/admin.js", html, StringComparison.Ordinal);
            Assert.DoesNotContain(NotifyPushTestServer.ApiKey, html, StringComparison.Ordinal);
        }

        using (var script = await anonymous.GetAsync("/admin/admin.js"))
        {
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        }

        using (var refused = await anonymous.GetAsync("/api/admin/replicas"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var user = server.CreateClient();
        user.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken($"admin-{Guid.NewGuid():N}"));
        using (var forbidden = await user.GetAsync("/api/admin/replicas"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        await using var socket = await TestSocket.ConnectAsync(server, $"admin-{Guid.NewGuid():N}");
        await socket.ReadUntilSyncedAsync();
        using var api = server.CreateServiceClient();
        using var response = await api.GetAsync("/api/admin/replicas");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.GetProperty("complete").GetBoolean());
        var replica = Assert.Single(body.RootElement.GetProperty("replicas").EnumerateArray());
        Assert.Equal(1, replica.GetProperty("sockets").GetInt32());
        Assert.Equal("ok", replica.GetProperty("store").GetString());
        Assert.True(replica.GetProperty("backplaneConnected").GetBoolean());
        Assert.Matches("^[0-9a-f]{32}$", replica.GetProperty("replicaId").GetString()!);
        Assert.False(string.IsNullOrEmpty(replica.GetProperty("version").GetString()));
        Assert.Equal(0, replica.GetProperty("eventStreams").GetInt32());
    }

    [Fact]
    public async Task Replicas_CountEventStreamsAmongTheirSockets()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Admin:Enabled"] = "true" });
        await using var socket = await TestSocket.ConnectAsync(server, $"admin-{Guid.NewGuid():N}");
        await using var stream = await TestEventStream.ConnectAsync(server, $"admin-{Guid.NewGuid():N}");
        await socket.ReadUntilSyncedAsync();
        await stream.ReadUntilSyncedAsync();

        using var api = server.CreateServiceClient();
        using var response = await api.GetAsync("/api/admin/replicas");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var replica = Assert.Single(body.RootElement.GetProperty("replicas").EnumerateArray());
        Assert.Equal(2, replica.GetProperty("sockets").GetInt32());
        Assert.Equal(1, replica.GetProperty("eventStreams").GetInt32());
    }
}
