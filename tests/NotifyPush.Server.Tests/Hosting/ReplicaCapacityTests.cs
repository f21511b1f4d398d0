using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Options;
using NotifyPush.Server.Hosting;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Hosting;

public sealed class ReplicaCapacityTests
{
    [Fact]
    public void Capacity_ByDefault_StaysBelowTheOpenFileLimit()
    {
        var capacity = new ReplicaCapacity(new ConnectionOptions(), openFileLimit: 20_000);

        Assert.Equal(18_976, capacity.MaxConnections);
        Assert.Equal(18_720, capacity.MaxSockets);
    }

    [Fact]
    public void Capacity_WithSettings_UsesThem()
    {
        var capacity = new ReplicaCapacity(new ConnectionOptions { MaxConnections = 500, MaxSockets = 100 }, openFileLimit: 20_000);

        Assert.Equal(500, capacity.MaxConnections);
        Assert.Equal(100, capacity.MaxSockets);
    }

    [Fact]
    public void Capacity_WithoutAReadableLimit_IsUnlimited()
    {
        var capacity = new ReplicaCapacity(new ConnectionOptions(), openFileLimit: null);

        Assert.Null(capacity.MaxConnections);
        Assert.Null(capacity.MaxSockets);
    }

    [Fact]
    public void OpenFileLimit_OnLinux_IsTheProcessSoftLimit()
    {
        Assert.True(OperatingSystem.IsLinux(), "The server runs on Linux in this project's tests.");
        var limits = File.ReadAllText("/proc/self/limits");
        var limit = ReplicaCapacity.ReadOpenFileLimit();

        Assert.NotNull(limit);
        Assert.Contains($"Max open files            {limit}", limits, StringComparison.Ordinal);
    }

    [Fact]
    public void Server_ConfiguresKestrelWithTheCapacity()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:MaxConnections"] = "700",
            ["NotifyPush:Connections:MaxSockets"] = "600",
        });

        var limits = server.GetService<IOptions<KestrelServerOptions>>().Value.Limits;
        Assert.Equal(700, limits.MaxConcurrentConnections);
        Assert.Equal(600, limits.MaxConcurrentUpgradedConnections);
    }

    [Fact]
    public async Task Connect_WhenTheReplicaHoldsMaxSockets_Is503WithRetryAfterUntilOneCloses()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Connections:MaxSockets"] = "2" });
        var first = await TestSocket.ConnectAsync(server, "cap-a");
        await using var second = await TestSocket.ConnectAsync(server, "cap-b");
        await first.ReadUntilSyncedAsync();
        await second.ReadUntilSyncedAsync();

        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ws?access_token={NotifyPushTestServer.UserToken("cap-c")}");
        request.Headers.Add("Connection", "Upgrade");
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        using var refused = await client.SendAsync(request).WaitAsync(TestSocket.DefaultTimeout);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        Assert.Contains("Replica at capacity", body, StringComparison.Ordinal);

        await first.DisposeAsync();
        await ServiceApi.EventuallyAsync(() => Task.FromResult(server.GetService<NotifyPush.Core.Connections.ConnectionRegistry>().ConnectionCount < 2), "the first socket is gone");
        await using var third = await TestSocket.ConnectAsync(server, "cap-c");
        var (_, synced) = await third.ReadUntilSyncedAsync();
        Assert.Equal("synced", synced.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Kestrel_OverMaxConnections_RefusesTheExtraConnectionAndKeepsServingTheOthers()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Connections:MaxConnections"] = "3" });
        var endpoint = new IPEndPoint(IPAddress.Loopback, server.BaseAddress.Port);
        var held = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(endpoint).WaitAsync(TestSocket.DefaultTimeout);
                held.Add(client);
                Assert.StartsWith("HTTP/1.1 200", await GetHealthOverAsync(client.GetStream()), StringComparison.Ordinal);
            }

            using var extra = new TcpClient();
            await extra.ConnectAsync(endpoint).WaitAsync(TestSocket.DefaultTimeout);
            var answer = await GetHealthOverAsync(extra.GetStream());
            Assert.Equal("", answer);

            // The three connections admitted before still work.
            Assert.StartsWith("HTTP/1.1 200", await GetHealthOverAsync(held[0].GetStream()), StringComparison.Ordinal);
        }
        finally
        {
            held.ForEach(client => client.Dispose());
        }
    }

    /// <summary>One keep-alive GET /healthz; returns the response head, or "" when the server closed the connection.</summary>
    private static async Task<string> GetHealthOverAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TestSocket.DefaultTimeout);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"), timeout.Token);
        var buffer = new byte[4096];
        var received = new StringBuilder();
        try
        {
            while (!IsComplete(received.ToString()))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // Reset by the server: refused.
        }

        return received.ToString();
    }

    private static bool IsComplete(string response) =>
        response.Contains("\"status\"", StringComparison.Ordinal)
        && (!response.Contains("chunked", StringComparison.OrdinalIgnoreCase) || response.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal));
}
