using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using NotifyPush.Server.Tests.Cluster;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Server.Tests.Topology;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Telemetry;

/// <summary>
/// A real Prometheus (Debian's) runs <c>docker/prometheus/prometheus.yml</c> and its alert rules against a 2-replica
/// cluster: it scrapes both replicas, evaluates every rule without error, and every query of the Grafana dashboard runs.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class PrometheusServerTests(ITestOutputHelper output)
{
    /// <summary>Environment variable with the path of the prometheus executable (scripts/test.sh sets it).</summary>
    public const string ExecutableVariable = "NOTIFYPUSH_TEST_PROMETHEUS";

    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Prometheus_WithTheComposeConfiguration_ScrapesEveryReplicaEvaluatesTheAlertsAndRunsTheDashboardsQueries()
    {
        var executable = Environment.GetEnvironmentVariable(ExecutableVariable);
        if (string.IsNullOrWhiteSpace(executable) || !File.Exists(executable))
        {
            throw new InvalidOperationException($"prometheus was not found ('{executable}'). Run the tests with scripts/test.sh, which installs it (apt-get install prometheus), or set {ExecutableVariable}.");
        }

        await using var cluster = await TestCluster.StartAsync(replicas: 2);
        var user = $"prometheus-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(cluster.Replicas[0].SocketUriFor(user));
        await socket.ReadUntilSyncedAsync();
        await ServiceApi.SendAsync(cluster.Replicas[1].Api, user);
        Assert.Single(await socket.ReadNotificationsAsync(1));

        var directory = Path.Combine(Path.GetTempPath(), "notifypush-tests", $"prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var port = FreePorts.One();
            var configuration = Path.Combine(directory, "prometheus.yml");
            await File.WriteAllTextAsync(configuration, Render(cluster));
            await using var prometheus = ChildProcess.Start(
                "prometheus",
                executable,
                [$"--config.file={configuration}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address=127.0.0.1:{port}"],
                directory);
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            try
            {
                await ServiceApi.EventuallyAsync(
                    async () =>
                    {
                        try
                        {
                            using var ready = await api.GetAsync("/-/ready");
                            return ready.StatusCode == HttpStatusCode.OK;
                        }
                        catch (HttpRequestException)
                        {
                            return false; // not listening yet
                        }
                    },
                    "Prometheus is ready",
                    StepTimeout);

                // Both replicas scraped and up: Prometheus parsed their exposition.
                await ServiceApi.EventuallyAsync(
                    async () =>
                    {
                        var targets = (await GetDataAsync(api, "/api/v1/targets")).GetProperty("activeTargets").EnumerateArray().ToList();
                        return targets.Count == 2 && targets.All(t => t.GetProperty("health").GetString() == "up");
                    },
                    "Prometheus scrapes both replicas and finds them up",
                    StepTimeout);
                var sockets = await QueryAsync(api, "sum(notifypush_connections)");
                Assert.Equal("1", Assert.Single(sockets).GetProperty("value")[1].GetString());
                Assert.Equal(2, (await QueryAsync(api, "notifypush_backplane_connected == 1")).Count);

                // Every alert rule was evaluated without an error, and none fires on a healthy cluster (up is 1 too).
                await ServiceApi.EventuallyAsync(
                    async () =>
                    {
                        var rules = (await GetDataAsync(api, "/api/v1/rules")).GetProperty("groups").EnumerateArray()
                            .SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
                        return rules.Count > 0 && rules.All(r => r.TryGetProperty("lastEvaluation", out var at) && !at.GetString()!.StartsWith("0001", StringComparison.Ordinal));
                    },
                    "every alert rule has been evaluated",
                    StepTimeout);
                var evaluated = (await GetDataAsync(api, "/api/v1/rules")).GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
                Assert.All(evaluated, rule => Assert.True(rule.GetProperty("health").GetString() == "ok", $"{rule.GetProperty("name")}: {rule}"));
                Assert.All(evaluated, rule => Assert.True(rule.GetProperty("state").GetString() == "inactive", $"{rule.GetProperty("name")} is {rule.GetProperty("state")} on a healthy cluster"));

                // Every query of the dashboard is valid PromQL against these series.
                using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(RepositoryFiles.PathOf("docker/grafana/dashboards/notifypush.json")));
                var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
                    .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
                Assert.NotEmpty(queries);
                foreach (var query in queries)
                {
                    await QueryAsync(api, query);
                }

                output.WriteLine($"Prometheus scraped 2 replicas, evaluated {evaluated.Count} rules and ran {queries.Count} dashboard queries.");
            }
            catch
            {
                output.WriteLine(prometheus.Output);
                throw;
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>docker/prometheus/prometheus.yml for the test replicas: their addresses, the rules' path, 1 s intervals.</summary>
    private static string Render(TestCluster cluster)
    {
        var text = File.ReadAllText(RepositoryFiles.PathOf("docker/prometheus/prometheus.yml"));
        var targets = string.Join(", ", cluster.Replicas.Select(r => $"\"{r.BaseAddress.Host}:{r.BaseAddress.Port}\""));
        var rendered = ReplaceOnce(text, "[\"notifypush-1:8080\", \"notifypush-2:8080\", \"notifypush-3:8080\"]", $"[{targets}]");
        rendered = ReplaceOnce(rendered, "/etc/prometheus/alerts.yml", RepositoryFiles.PathOf("docker/prometheus/alerts.yml"));
        return Interval().Replace(rendered, "${key}: 1s");
    }

    private static string ReplaceOnce(string text, string oldValue, string newValue)
    {
        var at = text.IndexOf(oldValue, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(oldValue, at + 1, StringComparison.Ordinal) < 0, $"docker/prometheus/prometheus.yml must contain '{oldValue}' exactly once; this test renders the file by replacing it.");
        return text.Replace(oldValue, newValue, StringComparison.Ordinal);
    }

    private static async Task<List<JsonElement>> QueryAsync(HttpClient api, string query) =>
        (await GetDataAsync(api, $"/api/v1/query?query={Uri.EscapeDataString(query)}")).GetProperty("result").EnumerateArray().ToList();

    private static async Task<JsonElement> GetDataAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {Uri.UnescapeDataString(path)}: {(int)response.StatusCode} {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").Clone();
    }

    [GeneratedRegex(@"(?<key>scrape_interval|evaluation_interval): 15s")]
    private static partial Regex Interval();
}
