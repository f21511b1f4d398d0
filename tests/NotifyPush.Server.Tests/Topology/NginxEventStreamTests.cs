using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Topology;

/// <summary>
/// The Server-Sent Events fallback through the deployment's nginx (docker/nginx.conf) in front of three replicas:
/// events pass through unbuffered while the stream stays open, acks go through nginx to any replica, a draining
/// replica's close event reaches the client, and the stream resumes elsewhere with Last-Event-ID.
/// </summary>
public sealed class NginxEventStreamTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EventStreamThroughNginx_IsNotBuffered_AcksReachTheStore_AndResumesWithLastEventIdAfterADrain()
    {
        await TopologyCluster.RunAsync(output, RunScenarioAsync);
    }

    private static async Task RunScenarioAsync(TopologyCluster cluster)
    {
        var user = $"topology-sse-{Guid.NewGuid():N}";
        var token = NotifyPushTestServer.UserToken(user, TimeSpan.FromMinutes(30));
        using var api = cluster.CreateApiClient();

        string lastEventId;
        await using (var stream = await TestEventStream.ConnectAsync(cluster.Nginx.BaseAddress, $"/sse?access_token={token}"))
        {
            Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
            // welcome and synced are a few hundred bytes: a buffering proxy would hold them until its buffer filled.
            await stream.ReadUntilSyncedAsync(StepTimeout);
            cluster.Log("welcome and synced arrived through nginx while the stream is open");

            for (var i = 1; i <= 3; i++)
            {
                Assert.Equal(i, await SendAsync(api, user, i));
                var notification = Assert.Single(await stream.ReadNotificationsAsync(1, StepTimeout));
                Assert.Equal(i, notification.GetProperty("seq").GetInt64());
            }

            Assert.False(stream.Closed.IsCompleted, "the stream is still open: each event came on its own, not at the end of the response");
            cluster.Log("seqs 1-3 arrived one by one through nginx");

            using (var ack = await AckAsync(cluster, token, 3))
            {
                Assert.Equal(HttpStatusCode.NoContent, ack.StatusCode);
            }

            var holder = await cluster.FindSocketHolderAsync(StepTimeout);
            cluster.Log($"stream is on {holder.Name}; SIGTERM");
            await holder.TerminateAsync();
            Assert.Equal(1012, await stream.WaitForCloseAsync(StepTimeout));
            Assert.Equal(0, await holder.Process.WaitForExitAsync(StepTimeout));
            lastEventId = stream.LastEventId!;
            cluster.Log($"close event 1012 arrived through nginx; Last-Event-ID {lastEventId}");
        }

        Assert.Equal(4, await SendAsync(api, user, 4));

        // What a browser's EventSource does on its own: the same URL, with the last id it saw.
        await using (var resumed = await TestEventStream.ConnectAsync(cluster.Nginx.BaseAddress, $"/sse?access_token={token}", r => r.Headers.Add("Last-Event-ID", lastEventId)))
        {
            var (replayed, synced) = await resumed.ReadUntilSyncedAsync(StepTimeout);
            Assert.Equal([4L], replayed.Select(n => n.GetProperty("seq").GetInt64()));
            Assert.True(synced.GetProperty("recovered").GetBoolean());
            Assert.Equal(5, await SendAsync(api, user, 5));
            Assert.Equal(5, Assert.Single(await resumed.ReadNotificationsAsync(1, StepTimeout)).GetProperty("seq").GetInt64());
        }

        // The ack of seq 3 went through nginx to some replica and into the store: a stream opened without a resume
        // point replays only what is not acknowledged. (The service key here may only send, so no history read.)
        await ServiceApi.EventuallyAsync(async () =>
        {
            await using var fresh = await TestEventStream.ConnectAsync(cluster.Nginx.BaseAddress, $"/sse?access_token={token}");
            var (replayed, _) = await fresh.ReadUntilSyncedAsync(StepTimeout);
            return replayed.Select(n => n.GetProperty("seq").GetInt64()).SequenceEqual([4L, 5L]);
        }, "the ack through nginx stored: only seqs 4 and 5 are unacknowledged", StepTimeout);
        cluster.Log("the ack through nginx is stored");

        await cluster.Nginx.StopAsync(StepTimeout);
        var accessLog = cluster.Nginx.ReadAccessLog();
        cluster.Log("nginx access log:\n" + accessLog);
        Assert.Contains("\"GET /sse HTTP/1.1\" 200", accessLog, StringComparison.Ordinal);
        Assert.Contains("\"POST /sse/ack HTTP/1.1\" 204", accessLog, StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", accessLog, StringComparison.Ordinal);
        Assert.DoesNotContain(token, cluster.Nginx.ReadErrorLog(), StringComparison.Ordinal);
        foreach (var replica in cluster.Replicas)
        {
            Assert.DoesNotContain(token, replica.Process.Output, StringComparison.Ordinal);
        }
    }

    private static async Task<HttpResponseMessage> AckAsync(TopologyCluster cluster, string token, long seq)
    {
        using var client = new HttpClient { BaseAddress = cluster.Nginx.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sse/ack") { Content = new StringContent($$"""{"seq":{{seq}}}""", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static async Task<long> SendAsync(HttpClient api, string user, int step)
    {
        var body = JsonSerializer.Serialize(new { userId = user, type = "topology.sse", payload = new { step } });
        using var response = await api.PostAsync("/api/notifications", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST through nginx: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("notifications")[0].GetProperty("seq").GetInt64();
    }
}
