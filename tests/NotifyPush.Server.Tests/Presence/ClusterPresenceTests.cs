using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NotifyPush.Server.Tests.Cluster;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Presence;

/// <summary>Presence across three replicas on real Redis: counted cluster-wide, a killed replica expires, a Redis outage answers 503.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterPresenceTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> FastPresence = new()
    {
        ["NotifyPush:Presence:FlushIntervalMilliseconds"] = "100",
        ["NotifyPush:Presence:HeartbeatSeconds"] = "1",
        ["NotifyPush:Presence:TimeoutSeconds"] = "3",
    };

    [Fact]
    public async Task Presence_CountsSocketsOnEveryReplica_AKilledReplicaStopsCountingWithinTheTimeout_AndARedisOutageAnswers503()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        await using var cluster = await TestCluster.StartAsync(replicas: 2, redis.Configuration, FastPresence);
        var victim = await cluster.AddProcessReplicaAsync();
        var (r1, r2) = (cluster.Replicas[0], cluster.Replicas[1]);
        var (alice, bob, carol) = ($"alice-{Guid.NewGuid():N}", $"bob-{Guid.NewGuid():N}", $"carol-{Guid.NewGuid():N}");

        await using var aliceOnR1 = await TestSocket.ConnectAsync(r1.SocketUriFor(alice));
        await using var aliceOnVictim = await TestSocket.ConnectAsync(victim.SocketUriFor(alice));
        await using var bobOnR2 = await TestSocket.ConnectAsync(r2.SocketUriFor(bob));
        foreach (var socket in new[] { aliceOnR1, aliceOnVictim, bobOnR2 })
        {
            await socket.ReadUntilSyncedAsync();
        }

        // Asked of a replica that holds none of Alice's sockets; each replica writes its users within a flush interval.
        await ServiceApi.EventuallyAsync(
            async () => (await GetAsync(r2, alice)).GetProperty("sockets").GetInt32() == 2 && (await GetAsync(r1, bob)).GetProperty("sockets").GetInt32() == 1,
            "Alice's two sockets on two replicas and Bob's one are counted");
        var both = await GetAsync(r2, alice);
        Assert.True(both.GetProperty("online").GetBoolean());
        Assert.Equal(2, both.GetProperty("replicas").GetInt32());

        using (var response = await r1.Api.PostAsJsonAsync("/api/presence", new { userIds = new[] { alice, bob, carol } }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var users = body.RootElement.GetProperty("users").EnumerateArray().ToList();
            Assert.Equal([2, 1, 0], users.Select(u => u.GetProperty("sockets").GetInt32()));
            Assert.Equal([2, 1, 0], users.Select(u => u.GetProperty("replicas").GetInt32()));
            Assert.Equal(JsonValueKind.Null, users[2].GetProperty("lastSeenAt").ValueKind);
        }

        // SIGKILL: no goodbye. Its heartbeat (1 s) expires after the 3 s timeout.
        await victim.KillAsync();
        var killed = Stopwatch.StartNew();
        await ServiceApi.EventuallyAsync(async () => (await GetAsync(r1, alice)).GetProperty("sockets").GetInt32() == 1, "the killed replica's socket stops counting", TimeSpan.FromSeconds(15));
        output.WriteLine($"the killed replica stopped counting after {killed.Elapsed.TotalSeconds:F1} s (timeout 3 s, heartbeat 1 s)");
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(3 + 2), $"a killed replica must stop counting within the timeout; it took {killed.Elapsed}");
        Assert.Equal(1, (await GetAsync(r1, alice)).GetProperty("replicas").GetInt32());

        // Redis goes away: presence says so with 503 and Retry-After; sends still commit.
        await redis.StopAsync();
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                using var response = await r2.Api.GetAsync($"/api/users/{bob}/presence");
                return response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter?.Delta > TimeSpan.Zero &&
                    response.Content.Headers.ContentType?.MediaType == "application/problem+json";
            },
            "presence answers 503 with Retry-After while Redis is down");
        await ServiceApi.SendAsync(r1.Api, bob);

        // Redis restarts empty: each replica writes its users again, and the doorbell reaches Bob.
        await redis.StartAgainAsync();
        Assert.Single(await bobOnR2.ReadNotificationsAsync(1, TimeSpan.FromSeconds(30)));
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                using var response = await r1.Api.PostAsJsonAsync("/api/presence", new { userIds = new[] { alice, bob } });
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return false;
                }

                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                return body.RootElement.GetProperty("users").EnumerateArray().Select(u => u.GetProperty("sockets").GetInt32()).SequenceEqual([1, 1]);
            },
            "presence is back, rewritten by the replicas after Redis restarted empty",
            TimeSpan.FromSeconds(30));

        // Bob leaves: offline everywhere, last seen just now.
        await bobOnR2.DisposeAsync();
        var left = DateTimeOffset.UtcNow;
        JsonElement offline = default;
        await ServiceApi.EventuallyAsync(async () => !(offline = await GetAsync(r1, bob)).GetProperty("online").GetBoolean(), "Bob is offline");
        Assert.InRange(offline.GetProperty("lastSeenAt").GetDateTimeOffset(), left.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    private static async Task<JsonElement> GetAsync(ClusterReplica replica, string userId)
    {
        using var response = await replica.Api.GetAsync($"/api/users/{Uri.EscapeDataString(userId)}/presence");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"presence of {userId} on {replica.Name}: {(int)response.StatusCode} {text}");
        using var body = JsonDocument.Parse(text);
        return body.RootElement.Clone();
    }
}
