using System.Net;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>A sign-out is answered truthfully: 202 only once it reached Redis, 503 otherwise.</summary>
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
}
