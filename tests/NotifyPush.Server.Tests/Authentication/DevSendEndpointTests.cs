using System.Net;
using System.Text;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

/// <summary><c>POST /dev/send</c>: the demo page's send form, so the page needs no service key; Development only.</summary>
public sealed class DevSendEndpointTests
{
    [Fact]
    public async Task DevSend_InDevelopment_SendsWithoutACredentialToTheUsersSocket()
    {
        using var server = new NotifyPushTestServer(environment: "Development");
        using var anonymous = server.CreateClient();
        var user = $"dev-send-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();

        using var response = await anonymous.PostAsync("/dev/send", new StringContent($$$"""{"userId":"{{{user}}}","type":"demo.message","payload":{"text":"hi"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var frame = (await socket.ReadNotificationsAsync(1))[0];
        Assert.Equal("demo.message", frame.GetProperty("event").GetString());

        // The same validation as the service API.
        using var invalid = await anonymous.PostAsync("/dev/send", new StringContent("""{"type":"t"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task DevSend_InProduction_DoesNotExist()
    {
        using var server = new NotifyPushTestServer();
        using var anonymous = server.CreateClient();
        using var response = await anonymous.PostAsync("/dev/send", new StringContent("""{"userId":"u1","type":"t"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
