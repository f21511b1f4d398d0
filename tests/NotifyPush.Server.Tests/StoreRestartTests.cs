using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests;

/// <summary>
/// PostgreSQL restarts under a running replica: its pooled connections are all dead, yet the next socket handshake
/// and the next send (with an idempotency key) work on the first try. The server is a private one, so the restart
/// disturbs no other test.
/// </summary>
public sealed class StoreRestartTests
{
    [Fact]
    public async Task SocketHandshakeAndKeyedSend_AfterPostgresRestarted_WorkOnTheFirstTry()
    {
        await using var postgres = await PostgresServerProcess.StartAsync();
        using var server = new TestServer(new Dictionary<string, string?>
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
}
