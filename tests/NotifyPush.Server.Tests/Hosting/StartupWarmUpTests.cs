using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Hosting;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using StackExchange.Redis;

namespace NotifyPush.Server.Tests.Hosting;

/// <summary>
/// The start-up warm-up: loopback sockets through the whole handshake before <c>/readyz</c> says ready, none of them
/// left in presence, and never a reason for a replica to stay out of service.
/// </summary>
public sealed class StartupWarmUpTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Readyz_SaysWarmingUpUntilTheWarmUpSocketsSynced_ThenReady_WithNoSocketLeftOpen()
    {
        var logs = new FakeLogCollector();
        using var server = new NotifyPushTestServer(
            new Dictionary<string, string?> { ["NotifyPush:WarmUp:Sockets"] = "400", ["NotifyPush:WarmUp:Concurrency"] = "1" },
            services: services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)));
        using var client = server.CreateClient();

        // 400 handshakes one after another take far longer than this first request.
        var (status, first) = await ReadyzAsync(client);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.True(first.GetProperty("warmingUp").GetBoolean());
        Assert.Equal("not ready", first.GetProperty("status").GetString());

        JsonElement ready = default;
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                (status, ready) = await ReadyzAsync(client);
                return status == HttpStatusCode.OK;
            },
            "/readyz says ready once the warm-up is done",
            Bound);

        Assert.False(ready.GetProperty("warmingUp").GetBoolean());
        var finished = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == NotifyPushEventIds.WarmUpFinished);
        Assert.Contains("400 sockets", finished.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == NotifyPushEventIds.WarmUpFailed);
        await Poll.UntilAsync(() => server.Services.GetRequiredService<ConnectionRegistry>().ConnectionCount == 0, "the warm-up sockets closed", Bound);
    }

    [Fact]
    public async Task WarmUp_WithRedisPresence_LeavesNoUserOfItsOwnInPresence()
    {
        var prefix = $"warmup-{Guid.NewGuid():N}";
        var logs = new FakeLogCollector();
        var settings = new Dictionary<string, string?>
        {
            ["NotifyPush:Backplane:Provider"] = "Redis",
            ["NotifyPush:Backplane:Configuration"] = TestEnvironment.RequireRedis(),
            ["NotifyPush:Backplane:ChannelPrefix"] = prefix,
            ["NotifyPush:Presence:FlushIntervalMilliseconds"] = "50",
            ["NotifyPush:WarmUp:Sockets"] = "50",
        };
        using (var server = new NotifyPushTestServer(settings, services: services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs))))
        {
            using var client = server.CreateClient();
            await ServiceApi.EventuallyAsync(async () => (await ReadyzAsync(client)).Status == HttpStatusCode.OK, "ready after the warm-up", Bound);
            Assert.Single(logs.GetSnapshot(), r => r.Id.Id == NotifyPushEventIds.WarmUpFinished);

            // Several flushes later, and once more after the replica left (its leave writes every user's last-seen).
            await Task.Delay(500);
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RequireRedis());
        var database = redis.GetDatabase();
        var keys = redis.GetServers().SelectMany(s => s.Keys(pattern: prefix + "*")).ToList();
        Assert.DoesNotContain(keys, k => k.ToString().Contains("notifypush-warm-up-", StringComparison.Ordinal));
        foreach (var key in keys.Where(k => database.KeyType(k) == RedisType.Hash))
        {
            Assert.DoesNotContain(await database.HashKeysAsync(key), f => f.ToString().StartsWith("notifypush-warm-up-", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task AUserNamedLikeTheWarmUp_ButNotOfThisProcess_IsInPresenceLikeAnyOther()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:WarmUp:Sockets"] = "5" });
        using var client = server.CreateClient();
        await ServiceApi.EventuallyAsync(async () => (await ReadyzAsync(client)).Status == HttpStatusCode.OK, "ready after the warm-up", Bound);
        var user = $"notifypush-warm-up-{Guid.NewGuid():N}-0";

        await using var socket = await TestSocket.ConnectAsync(server.SocketUri($"access_token={NotifyPushTestServer.UserToken(user)}"));
        await socket.ReadUntilSyncedAsync();

        using var api = server.CreateServiceClient();
        using var response = await api.PostAsJsonAsync("/api/presence", new { userIds = new[] { user } });
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.GetProperty("users")[0].GetProperty("online").GetBoolean());
    }

    [Fact]
    public async Task WarmUp_WhenTheReplicaCannotSignAUserToken_IsSkippedAndTheReplicaIsReady()
    {
        var logs = new FakeLogCollector();
        using var server = new NotifyPushTestServer(
            new Dictionary<string, string?>
            {
                ["NotifyPush:Auth:Jwt:SigningKey"] = null,
                ["NotifyPush:Auth:Jwt:PublicKeyPem"] = TestTokens.RsaPublicKeyPem,
                ["NotifyPush:WarmUp:Sockets"] = "50",
            },
            services: services => services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs)));
        using var client = server.CreateClient();

        await ServiceApi.EventuallyAsync(async () => (await ReadyzAsync(client)).Status == HttpStatusCode.OK, "ready without a warm-up", Bound);

        var skipped = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == NotifyPushEventIds.WarmUpSkipped);
        Assert.Contains("cannot sign", skipped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WarmUp_ThatCannotHandshake_IsLoggedAndTheReplicaIsReadyAnyway()
    {
        // Every handshake is refused (503: the revocation store is down): the warm-up fails, readiness does not.
        var logs = new FakeLogCollector();
        using var server = new NotifyPushTestServer(
            new Dictionary<string, string?> { ["NotifyPush:WarmUp:Sockets"] = "50" },
            services: services =>
            {
                services.AddSingleton<ITokenRevocationStore, UnavailableRevocationStore>();
                services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs));
            });
        using var client = server.CreateClient();

        await ServiceApi.EventuallyAsync(async () => (await ReadyzAsync(client)).Status == HttpStatusCode.OK, "ready although the warm-up failed", Bound);

        var failed = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == NotifyPushEventIds.WarmUpFailed);
        Assert.Equal(LogLevel.Warning, failed.Level);
    }

    [Theory]
    [InlineData("http://0.0.0.0:5000", "ws://127.0.0.1:5000/ws")]
    [InlineData("http://[::]:5000", "ws://[::1]:5000/ws")]
    [InlineData("http://+:8080", "ws://localhost:8080/ws")]
    [InlineData("http://*:8080", "ws://localhost:8080/ws")]
    [InlineData("http://127.0.0.1:5001", "ws://127.0.0.1:5001/ws")]
    [InlineData("https://0.0.0.0:443", "wss://127.0.0.1/ws")]
    public void SocketUri_ReachesTheReplicaOverLoopback(string address, string expected)
    {
        Assert.Equal(new Uri(expected), StartupWarmUp.SocketUri(new AddressesOnly(address)));
    }

    [Fact]
    public void SocketUri_PrefersPlainHttp_AndHasNoneForAUnixSocketOnly()
    {
        Assert.Equal(new Uri("ws://127.0.0.1:80/ws"), StartupWarmUp.SocketUri(new AddressesOnly("https://127.0.0.1:443", "http://127.0.0.1:80")));
        Assert.Null(StartupWarmUp.SocketUri(new AddressesOnly("http://unix:/run/notifypush.sock")));
        Assert.Null(StartupWarmUp.SocketUri(new AddressesOnly()));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Report)> ReadyzAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/readyz");
        var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, report);
    }

    private sealed class AddressesOnly : Microsoft.AspNetCore.Hosting.Server.IServer
    {
        public AddressesOnly(params string[] addresses)
        {
            var feature = new ServerAddressesFeature();
            foreach (var address in addresses)
            {
                feature.Addresses.Add(address);
            }

            Features.Set<IServerAddressesFeature>(feature);
        }

        public IFeatureCollection Features { get; } = new FeatureCollection();

        public void Dispose()
        {
        }

        public Task StartAsync<TContext>(Microsoft.AspNetCore.Hosting.Server.IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
