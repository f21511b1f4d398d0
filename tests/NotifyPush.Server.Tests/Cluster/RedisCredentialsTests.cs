using System.Net;
using System.Text.Json;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// The backplane and presence over a Redis that trusts no one by default: a password, an ACL user limited to the
/// deployment's prefix with the commands docs/backplane.md lists, and TLS.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisCredentialsTests
{
    private const string UserPassword = "np-user-secret-91c2";

    /// <summary>The rights docs/backplane.md gives the backplane's ACL user (after its channel and key patterns).</summary>
    public const string MinimalCommands =
        "-@all +ping +echo +info +client|setname +client|id +subscribe +unsubscribe +publish " +
        "+get +set +setex +del +unlink +expire +pexpire +mget +hset +hmset +hget +hmget +hdel +hgetall +zadd +zrem +zrange +zrangebyscore +zremrangebyscore " +
        "+evalsha +eval +script|load +time";

    [Fact]
    public async Task Cluster_WithAnAclUserLimitedToItsPrefix_DeliversAcrossReplicasAndRedisDeniesItNothing()
    {
        var prefix = $"np{Guid.NewGuid():N}";
        await using var redis = await SecuredRedisServer.StartAsync([$"np on >{UserPassword} resetchannels &{prefix}:* resetkeys ~{prefix}:* {MinimalCommands}"]);
        await using var cluster = await TestCluster.StartAsync(
            replicas: 2,
            $"127.0.0.1:{redis.Port},user=np,password={UserPassword}",
            new Dictionary<string, string?>
            {
                ["NotifyPush:Backplane:ChannelPrefix"] = prefix,
                // The cluster-wide send limit runs its script in Redis too.
                ["NotifyPush:Api:RateLimitPerSecond"] = "1000",
                ["NotifyPush:Presence:FlushIntervalMilliseconds"] = "100",
            });

        await AssertDeliversAcrossReplicasAsync(cluster);

        // Presence writes ran meanwhile (every replica flushes its state): none of them was denied either.
        await AssertRedisDeniedNothingNeededAsync(redis);
    }

    [Fact]
    public async Task Cluster_OverTlsWithAPrivateCaAndAnAclUser_DeliversAcrossReplicas()
    {
        var prefix = $"np{Guid.NewGuid():N}";
        await using var redis = await SecuredRedisServer.StartAsync([$"np on >{UserPassword} resetchannels &{prefix}:* resetkeys ~{prefix}:* {MinimalCommands}"], tls: true);
        await using var cluster = await TestCluster.StartAsync(
            replicas: 2,
            $"127.0.0.1:{redis.TlsPort},ssl=true,user=np,password={UserPassword}",
            new Dictionary<string, string?>
            {
                ["NotifyPush:Backplane:ChannelPrefix"] = prefix,
                ["NotifyPush:Backplane:TlsCaCertificatePath"] = redis.CaCertificatePath,
            });

        await AssertDeliversAcrossReplicasAsync(cluster);
        await AssertRedisDeniedNothingNeededAsync(redis);
    }

    [Fact]
    public async Task Readiness_WhenRedisRefusesThePassword_FailsNamingTheSettingAndNeverShowsThePassword()
    {
        const string wrongPassword = "wrong-secret-5d8e";
        await using var redis = await SecuredRedisServer.StartAsync();
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Backplane:Provider"] = "Redis",
            ["NotifyPush:Backplane:Configuration"] = $"127.0.0.1:{redis.Port},password={wrongPassword}",
            ["NotifyPush:Backplane:ChannelPrefix"] = $"np{Guid.NewGuid():N}",
        });
        using var client = server.CreateClient();

        string body = string.Empty;
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                using var response = await client.GetAsync("/readyz");
                body = await response.Content.ReadAsStringAsync();
                return response.StatusCode == HttpStatusCode.ServiceUnavailable;
            },
            "readiness fails while Redis refuses the password",
            TimeSpan.FromSeconds(30));

        using var report = JsonDocument.Parse(body);
        Assert.Equal("not ready", report.RootElement.GetProperty("status").GetString());
        Assert.Equal("ok", report.RootElement.GetProperty("store").GetString());
        var state = report.RootElement.GetProperty("backplane").GetProperty("state").GetString()!;
        // The unauthenticated report says what is wrong, never with which endpoint or error text; the log names the setting.
        Assert.Equal("credentials refused", state);
        Assert.DoesNotContain(wrongPassword, body, StringComparison.Ordinal);

        var error = Assert.Single(server.Logs, log => log.Id.Id == NotifyPushEventIds.RedisAuthenticationFailed);
        Assert.Contains("NotifyPush:Backplane:Configuration", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Logs, log => log.AllText().Any(text => text.Contains(wrongPassword, StringComparison.Ordinal)));
    }

    /// <summary>
    /// Nothing the backplane or presence needs was denied. StackExchange.Redis also probes CONFIG GET and CLUSTER NODES
    /// on connect and carries on without them; they stay refused (CONFIG GET would show the server's passwords).
    /// </summary>
    private static async Task AssertRedisDeniedNothingNeededAsync(SecuredRedisServer redis)
    {
        var denials = (await redis.AclDenialsAsync())
            .Where(entry => !entry.Contains("object=config|get ", StringComparison.Ordinal) && !entry.Contains("object=cluster|nodes ", StringComparison.Ordinal))
            .ToList();
        Assert.True(denials.Count == 0, "Redis denied: " + string.Join(Environment.NewLine, denials));
    }

    private static async Task AssertDeliversAcrossReplicasAsync(TestCluster cluster)
    {
        foreach (var replica in cluster.Replicas)
        {
            await ServiceApi.EventuallyAsync(
                async () => (await replica.ReadyAsync()).Report.GetProperty("backplane").GetProperty("connected").GetBoolean(),
                $"{replica.Name} is connected to Redis",
                TimeSpan.FromSeconds(30));
        }

        var user = $"user-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(cluster.Replicas[0].SocketUriFor(user));
        await socket.ReadUntilSyncedAsync();
        await ServiceApi.SendAsync(cluster.Replicas[1].Api, user);
        Assert.Equal(1, (await socket.ReadNotificationsAsync(1))[0].GetProperty("seq").GetInt64());

        // Presence is read through the same user: the other replica sees the socket once the holder has flushed.
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                using var response = await cluster.Replicas[1].Api.GetAsync($"/api/users/{user}/presence").WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return body.RootElement.GetProperty("online").GetBoolean() && body.RootElement.GetProperty("sockets").GetInt32() == 1;
            },
            "presence read through the ACL user shows the socket",
            TimeSpan.FromSeconds(20));
    }
}
