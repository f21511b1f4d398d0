using System.Net;
using System.Text;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Topology;

/// <summary>
/// The deployment of docker/compose.yaml without Docker: three published replicas as processes on the test Postgres
/// and Redis, behind nginx running docker/nginx.conf. A client connected through nginx follows its stream across a
/// graceful stop (SIGTERM) and a crash (SIGKILL) of the replica it is on, and nginx's logs never hold its token.
/// </summary>
public sealed class NginxTopologyTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ThreeReplicasBehindNginx_WhenTheClientsReplicaDrainsThenCrashes_ItResumesThroughNginxWithNothingLostAndNoTokenIsLogged()
    {
        await TopologyCluster.RunAsync(output, RunScenarioAsync);
    }

    private static async Task RunScenarioAsync(TopologyCluster cluster)
    {
        var user = $"topology-{Guid.NewGuid():N}";
        var token = NotifyPushTestServer.UserToken(user, TimeSpan.FromMinutes(30));
        using var api = cluster.CreateApiClient();

        var client = new ResumingClient(since =>
            cluster.SocketUri(since is { } seq ? $"access_token={token}&since={seq}" : $"access_token={token}"));
        await using (client)
        {
            client.Start();
            await client.WaitUntilAsync(c => c.SyncedCount == 1, "the first socket through nginx is synced", StepTimeout);

            Assert.Equal(1, await SendAsync(cluster, api, user, "before-drain"));
            await client.WaitUntilAsync(c => c.Seqs.Count == 1, "seq 1 arrives through nginx", StepTimeout);
            cluster.Log("POST through nginx -> seq 1, received by the socket through nginx");

            // /metrics is for Prometheus on each replica's own port; nginx does not serve it to the outside, however the
            // path is spelt (ASP.NET Core matches paths case-insensitively and with a trailing slash). Sent byte for byte:
            // HttpClient would unescape %6D and take //metrics for a host.
            foreach (var target in new[] { "/metrics", "/metrics/", "/METRICS", "/Metrics/", "/metrics?x", "//metrics", "/%6Detrics", "/%6detrics/", "/./metrics", "/x/../metrics" })
            {
                var hidden = await RawHttp.SendAsync(cluster.Nginx.BaseAddress, "GET", target);
                Assert.True(hidden.Status == HttpStatusCode.NotFound, $"GET {target} through nginx answered {(int)hidden.Status}");
                Assert.DoesNotContain("notifypush_", hidden.Body, StringComparison.Ordinal);
            }

            using (var direct = new HttpClient { BaseAddress = cluster.Replicas[0].BaseAddress, Timeout = TimeSpan.FromSeconds(10) })
            {
                Assert.True((await PrometheusScrape.ReadAsync(direct)).Has("notifypush_connections"), "a replica serves /metrics on its own port");
            }


            // Rolling deploy: the replica holding the socket gets SIGTERM, drains, closes it with 1012, exits 0.
            var drained = await cluster.FindSocketHolderAsync(StepTimeout);
            cluster.Log($"socket is on {drained.Name}; SIGTERM");
            await drained.TerminateAsync();
            await client.WaitUntilAsync(c => c.CloseCodes.Count == 1, "the draining replica closes the socket", StepTimeout);
            Assert.Equal(1012, client.CloseCodes[0]);
            Assert.Equal(2, await SendAsync(cluster, api, user, "during-drain"));
            await client.WaitUntilAsync(c => c.Seqs.Count == 2, "seq 2 arrives after resuming elsewhere", StepTimeout);
            Assert.Equal(0, await drained.Process.WaitForExitAsync(StepTimeout));
            cluster.Log($"closed with 1012, reconnected through nginx, got seq 2; {drained.Name} exited 0");

            // Crash: the replica now holding the socket is killed; nginx drops the client, which resumes with since.
            var crashed = await cluster.FindSocketHolderAsync(StepTimeout);
            Assert.NotSame(drained, crashed);
            cluster.Log($"socket is on {crashed.Name}; SIGKILL");
            crashed.Kill();
            Assert.Equal(3, await SendAsync(cluster, api, user, "after-crash"));
            await client.WaitUntilAsync(c => c.Seqs.Count == 3, "seq 3, sent while the socket was down, arrives", StepTimeout);
            Assert.Equal(4, await SendAsync(cluster, api, user, "after-resume"));
            await client.WaitUntilAsync(c => c.Seqs.Count == 4, "seq 4 arrives live", StepTimeout);

            var survivor = await cluster.FindSocketHolderAsync(StepTimeout);
            Assert.DoesNotContain(survivor, new[] { drained, crashed });
            Assert.Equal([1012, ResumingClient.AbnormalClosure], client.CloseCodes);
            Assert.Equal([1L, 2L, 3L, 4L], client.Seqs);
            cluster.Log($"dropped without close frame (1006), resumed on {survivor.Name}: seqs {string.Join(",", client.Seqs)}, no gap, no duplicate");
            cluster.Log("client history:\n" + client.History);
        }

        // Stopping nginx writes the last lines (a WebSocket's line is logged when it ends).
        await cluster.Nginx.StopAsync(StepTimeout);
        var accessLog = cluster.Nginx.ReadAccessLog();
        cluster.Log("nginx access log:\n" + accessLog);

        var socketLines = accessLog.Split('\n').Count(line => line.Contains("\"GET /ws HTTP/1.1\" 101", StringComparison.Ordinal));
        Assert.True(socketLines >= 3, $"Expected at least three upgraded /ws requests in the access log, found {socketLines}.");
        Assert.Contains("\"POST /api/notifications HTTP/1.1\" 202", accessLog, StringComparison.Ordinal);
        AssertNoToken("nginx's access log", accessLog, token);
        Assert.DoesNotContain("access_token", accessLog, StringComparison.Ordinal);
        AssertNoToken("nginx's error log", cluster.Nginx.ReadErrorLog(), token);
        foreach (var replica in cluster.Replicas)
        {
            AssertNoToken($"{replica.Name}'s output", replica.Process.Output, token);
        }
    }

    /// <summary>
    /// POSTs one notification through nginx and returns its seq. A 5xx or a dropped connection is retried with the
    /// same Idempotency-Key, as the contract tells services to: a replica may die under the request.
    /// </summary>
    private static async Task<long> SendAsync(TopologyCluster cluster, HttpClient api, string user, string marker)
    {
        var key = $"topology-{marker}-{Guid.NewGuid():N}";
        var body = JsonSerializer.Serialize(new { userId = user, type = "topology.test", payload = new { marker } });
        var attempt = 0;
        var sent = await Poll.UntilAsync(
            async () =>
            {
                attempt++;
                string outcome;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                    request.Headers.Add("Idempotency-Key", key);
                    using var response = await api.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        using var document = JsonDocument.Parse(text);
                        return (Seq: (long?)document.RootElement.GetProperty("notifications")[0].GetProperty("seq").GetInt64(), Outcome: text);
                    }

                    Assert.True((int)response.StatusCode >= 500, $"POST {marker} through nginx: {(int)response.StatusCode} {text}");
                    outcome = $"{(int)response.StatusCode} {text}";
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    outcome = ex.Message;
                }

                cluster.Log($"POST {marker} attempt {attempt}: {outcome}; retrying with the same Idempotency-Key");
                return (Seq: null, Outcome: outcome);
            },
            result => result.Seq is not null,
            $"POST {marker} through nginx succeeds",
            StepTimeout,
            result => result.Outcome,
            interval: TimeSpan.FromMilliseconds(200));
        return sent.Seq!.Value;
    }

    private static void AssertNoToken(string where, string text, string token) =>
        Assert.False(text.Contains(token, StringComparison.Ordinal), $"{where} contains the user's token.");
}
