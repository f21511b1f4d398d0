using System.Net;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests;

/// <summary>
/// PostgreSQL restarts under a running replica: its pooled connections are all dead, yet the next socket handshake
/// and the next send (with an idempotency key or without) work on the first try. The server is a private one, so the restart
/// disturbs no other test.
/// </summary>
public sealed class StoreRestartTests
{
    [Fact]
    public async Task SocketHandshakeAndKeyedSend_AfterPostgresRestarted_WorkOnTheFirstTry()
    {
        await using var postgres = await PostgresServerProcess.StartAsync();
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Store:Provider"] = "Postgres",
            ["NotifyPush:Store:ConnectionString"] = postgres.ConnectionString,
        });
        using var api = server.CreateServiceClient();
        var user = $"user-{Guid.NewGuid():N}";
        await ServiceApi.SendAsync(api, user);
        await using (var earlier = await TestSocket.ConnectAsync(server, user))
        {
            await earlier.ReadUntilSyncedAsync();
        }

        await postgres.RestartAsync();
        await using var socket = await TestSocket.ConnectAsync(server, user);
        var (replayed, synced) = await socket.ReadUntilSyncedAsync();

        Assert.Equal([1L], replayed.Select(frame => frame.GetProperty("seq").GetInt64()));
        Assert.True(synced.GetProperty("recovered").GetBoolean());

        await postgres.RestartAsync();
        var sent = await ServiceApi.SendAsync(api, user, idempotencyKey: "after-restart");

        Assert.Equal(2, Assert.Single(sent).Seq);
        Assert.Equal(2, Assert.Single(await socket.ReadNotificationsAsync(1)).GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task SendWithoutKey_AfterPostgresStoppedAndStartedUnderAnIdleReplica_IsAcceptedOnTheFirstTry()
    {
        await using var postgres = await PostgresServerProcess.StartAsync();
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Store:Provider"] = "Postgres",
            ["NotifyPush:Store:ConnectionString"] = postgres.ConnectionString,
        });
        using var api = server.CreateServiceClient();
        var user = $"user-{Guid.NewGuid():N}";

        // A replica that has served (its pool holds connections), then idles while Postgres is stopped and started.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ServiceApi.SendAsync(api, user)));
        await postgres.StopAsync();
        await postgres.StartAgainAsync();

        // One attempt and no Idempotency-Key (the .NET client would add one): the dead pooled connection must not cost
        // this send a 503.
        using var response = await ServiceApi.PostRawAsync(api, JsonSerializer.Serialize(new { userId = user, type = "test.event", payload = new { a = 1 } }));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(5, body.RootElement.GetProperty("notifications")[0].GetProperty("seq").GetInt64());
    }
}
