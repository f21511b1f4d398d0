using System.Net;
using System.Net.WebSockets;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Protocol;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Budgets;

/// <summary>What one socket or one user may cost a replica: in-band auth frames and handshakes.</summary>
public sealed class SocketBudgetTests : IDisposable
{
    private const int AuthFrameBurst = 3;
    private const int HandshakeBurst = 4;

    private readonly NotifyPushTestServer _server = new(new Dictionary<string, string?>
    {
        ["NotifyPush:Connections:AuthFrameBurst"] = AuthFrameBurst.ToString(),
        ["NotifyPush:Connections:AuthFramesPerMinute"] = "1",
        ["NotifyPush:Connections:HandshakeBurstPerUser"] = HandshakeBurst.ToString(),
        ["NotifyPush:Connections:HandshakesPerMinutePerUser"] = "1",
        ["NotifyPush:Connections:MaxSocketsPerUser"] = "100",
    });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task AuthFrames_WhenASocketFloodsThem_ItIsClosedWith1008AfterItsBurstOfSignatureChecks()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await socket.ReadUntilSyncedAsync();

        // Valid refreshes, each of which would cost a signature check; the socket must not survive the flood.
        var token = NotifyPushTestServer.UserToken(user);
        for (var i = 0; i < 50 && !socket.Closed.IsCompleted; i++)
        {
            try
            {
                await socket.SendTextAsync($$"""{"type":"auth","token":"{{token}}"}""");
            }
            catch (WebSocketException)
            {
                // The server closed the socket while the flood was still being sent.
                break;
            }
        }

        Assert.Equal(CloseCodes.PolicyViolation, await socket.WaitForCloseAsync());
        var ofThisUser = _server.Logs.Where(l => l.AllText().Any(t => t.Contains(user, StringComparison.Ordinal))).ToList();
        Assert.Contains(ofThisUser, l => l.Id.Id == NotifyPushEventIds.AuthFramesRateLimited);

        // The budget allows the burst (and at most one refilled frame on a slow machine), never the flood.
        var refreshes = ofThisUser.Count(l => l.Id.Id == NotifyPushEventIds.CredentialRefreshed);
        Assert.InRange(refreshes, AuthFrameBurst, AuthFrameBurst + 1);
    }

    [Fact]
    public async Task AuthFrames_WithinTheBurst_KeepTheSocketOpen()
    {
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await socket.ReadUntilSyncedAsync();
        for (var i = 0; i < AuthFrameBurst; i++)
        {
            await socket.SendTextAsync($$"""{"type":"auth","token":"{{NotifyPushTestServer.UserToken(user)}}"}""");
        }

        await ServiceApi.EventuallyAsync(
            () => Task.FromResult(_server.Logs.Count(l => l.Id.Id == NotifyPushEventIds.CredentialRefreshed && l.AllText().Any(t => t.Contains(user, StringComparison.Ordinal))) == AuthFrameBurst),
            "every refresh within the burst was applied");
        using var api = _server.CreateServiceClient();
        await ServiceApi.SendAsync(api, user);
        Assert.Equal(1, (await socket.ReadNotificationsAsync(1))[0].GetProperty("seq").GetInt64());
        Assert.False(socket.Closed.IsCompleted);
    }

    [Fact]
    public async Task Handshakes_WhenAUserReconnectsInALoop_GetsA429WithRetryAfterBeforeTheUpgrade()
    {
        var user = NewUser();
        for (var i = 0; i < HandshakeBurst; i++)
        {
            await using var socket = await TestSocket.ConnectAsync(_server, user);
            await socket.ReadUntilSyncedAsync();
        }

        using var refused = new ClientWebSocket();
        refused.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(TestSocket.DefaultTimeout);
        await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(_server.SocketUri($"access_token={NotifyPushTestServer.UserToken(user)}&since=0"), timeout.Token));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.HttpStatusCode);
        var retryAfter = refused.HttpResponseHeaders!["Retry-After"].Single();
        Assert.InRange(int.Parse(retryAfter), 1, 60);

        // The budget is the user's: another user connects meanwhile.
        await using var other = await TestSocket.ConnectAsync(_server, NewUser());
        await other.ReadUntilSyncedAsync();
    }
}
