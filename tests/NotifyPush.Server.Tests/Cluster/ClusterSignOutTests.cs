using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// Sign-out that holds: answered 202 only once it reached Redis, and with <c>revokeTokens</c> the user's old tokens
/// are refused on every replica while newer ones connect.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterSignOutTests
{
    [Fact]
    public async Task Disconnect_WhileRedisIsFrozen_Answers503WithRetryAfter_AndSignsOutOnceRedisAnswers()
    {
        await using var redis = await RedisServerProcess.StartAsync();
        // A short command timeout, so that the frozen Redis fails the PUBLISH well inside the freeze.
        await using var cluster = await TestCluster.StartAsync(replicas: 2, redis.Configuration + ",asyncTimeout=1500");
        var (holder, caller) = (cluster.Replicas[0], cluster.Replicas[1]);
        var user = $"user-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(holder.SocketUriFor(user));
        await socket.ReadUntilSyncedAsync();

        // SIGSTOP: the connections stay open and report themselves connected, but nothing is answered.
        var frozen = redis.FreezeAsync(TimeSpan.FromSeconds(6));
        HttpStatusCode status;
        string? retryAfter;
        string? contentType;
        using (var response = await caller.Api.PostAsync($"/api/users/{user}/disconnect", content: null))
        {
            (status, retryAfter, contentType) = (response.StatusCode, response.Headers.RetryAfter?.ToString(), response.Content.Headers.ContentType?.MediaType);
        }

        await frozen.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.False(string.IsNullOrEmpty(retryAfter), "a 503 sign-out says when to retry");
        Assert.Equal("application/problem+json", contentType);

        // The retry, with Redis answering again, is published and closes the socket with 4003.
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                using var retry = await caller.Api.PostAsync($"/api/users/{user}/disconnect", content: null);
                return retry.StatusCode == HttpStatusCode.Accepted;
            },
            "the retried sign-out is accepted once Redis answers",
            TimeSpan.FromSeconds(30));
        Assert.Equal(4003, await socket.WaitForCloseAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task DisconnectWithRevokeTokens_OldTokenGets401OnEveryReplicaAndCloses4003OnRefresh_WhileANewerTokenConnects()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 3);
        var (first, second, revoker) = (cluster.Replicas[0], cluster.Replicas[1], cluster.Replicas[2]);
        var user = $"user-{Guid.NewGuid():N}";
        var oldToken = NotifyPushTestServer.UserToken(user);

        // The user's tabs on two replicas; the third revokes and holds none.
        await using var firstTab = await TestSocket.ConnectAsync(first.SocketUri(oldToken, since: null));
        await firstTab.ReadUntilSyncedAsync();
        await using var secondTab = await TestSocket.ConnectAsync(second.SocketUri(oldToken, since: null));
        await secondTab.ReadUntilSyncedAsync();

        DateTimeOffset revokedBefore;
        using (var response = await revoker.Api.PostAsync($"/api/users/{user}/disconnect", JsonContent.Create(new { revokeTokens = true })))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(user, body.RootElement.GetProperty("userId").GetString());
            revokedBefore = body.RootElement.GetProperty("tokensRevokedBefore").GetDateTimeOffset();
        }

        Assert.Equal(4003, await firstTab.WaitForCloseAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(4003, await secondTab.WaitForCloseAsync(TimeSpan.FromSeconds(15)));

        // The same token reconnecting is refused everywhere: by the revoker at once, by the others once the sign-out
        // reached them (it did: it closed their sockets).
        foreach (var replica in cluster.Replicas)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await TestSocket.ExpectRefusalAsync(replica.SocketUri(oldToken, since: null)));
        }

        // A token issued after the revocation (iat is in whole seconds: the next second) connects on every replica.
        var newToken = NotifyPushTestServer.UserToken(user, issuedAt: DateTimeOffset.FromUnixTimeSeconds(revokedBefore.ToUnixTimeSeconds() + 1).UtcDateTime);
        var newTabs = new List<TestSocket>();
        try
        {
            foreach (var replica in cluster.Replicas)
            {
                var tab = await TestSocket.ConnectAsync(replica.SocketUri(newToken, since: null));
                newTabs.Add(tab);
                await tab.ReadUntilSyncedAsync();
            }

            // Refreshing in-band with the revoked token closes the socket with 4003 (revoked), on any replica.
            await newTabs[0].SendTextAsync(JsonSerializer.Serialize(new { type = "auth", token = oldToken }));
            Assert.Equal(4003, await newTabs[0].WaitForCloseAsync(TimeSpan.FromSeconds(15)));

            // A refresh with a token issued after the revocation keeps the socket: it still gets notifications.
            await newTabs[1].SendTextAsync(JsonSerializer.Serialize(new { type = "auth", token = newToken }));
            var sent = await ServiceApi.SendAsync(revoker.Api, user);
            Assert.Equal(sent[0].Seq, (await newTabs[1].ReadNotificationsAsync(1))[0].GetProperty("seq").GetInt64());
        }
        finally
        {
            foreach (var tab in newTabs)
            {
                await tab.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task DisconnectWithABadBody_Answers400_AndSignsNobodyOut()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 1);
        var replica = cluster.Replicas[0];
        var user = $"user-{Guid.NewGuid():N}";
        await using var tab = await TestSocket.ConnectAsync(replica.SocketUriFor(user));
        await tab.ReadUntilSyncedAsync();

        using var response = await replica.Api.PostAsync($"/api/users/{user}/disconnect", new StringContent("""{"revokeTokens": "yes"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var sent = await ServiceApi.SendAsync(replica.Api, user);
        Assert.Equal(sent[0].Seq, (await tab.ReadNotificationsAsync(1))[0].GetProperty("seq").GetInt64());
    }
}
