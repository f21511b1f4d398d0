using System.Text.Json;

namespace NotifyPush.Bench.Tests;

/// <summary>
/// Runs the bench tool as CI would run it by hand: its smoke scenario with four sockets on two child-process replicas
/// sharing the test Postgres and Redis, through connect, steady sends across replicas, a fan-out and a drop-and-resume.
/// Checks the JSON result is well formed and reports nothing lost, duplicated or failed; never a timing.
/// </summary>
public sealed class BenchSmokeTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    [Theory]
    [InlineData("websocket")]
    [InlineData("sse")]
    public async Task Smoke_WithFourSocketsOnTwoReplicas_WritesAWellFormedResultWithNothingLost(string transport)
    {
        var postgres = TestEnvironment.RequirePostgres();
        var redis = TestEnvironment.RequireRedis();
        var output = Directory.CreateTempSubdirectory("notifypush-bench-smoke");
        try
        {
            var (exitCode, log) = await BenchProcess.RunAsync(
                RunTimeout,
                "smoke", "--replicas", "2", "--sockets", "4", "--duration", "2",
                "--postgres", postgres, "--redis", redis,
                "--server-dll", Path.Combine(AppContext.BaseDirectory, "NotifyPush.Server.dll"),
                "--transport", transport, "--out", output.FullName, "--deadline", "120", "--passes", "2");

            Assert.True(exitCode == 0, $"the bench exited with {exitCode}:\n{log}");
            // --passes is for steady and throughput; a scenario that runs once writes one result, of no pass.
            var file = Assert.Single(output.GetFiles("smoke-*.json"));
            Assert.DoesNotContain("pass", file.Name, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file.FullName));
            var result = json.RootElement;
            Assert.Equal("smoke", result.GetProperty("scenario").GetString());
            Assert.True(!result.TryGetProperty("pass", out var pass) || pass.ValueKind == JsonValueKind.Null);
            Assert.Equal(transport, result.GetProperty("settings").GetProperty("transport").GetString());
            Assert.True(result.GetProperty("ok").GetBoolean(), log);
            Assert.Empty(result.GetProperty("errors").EnumerateObject());
            Assert.Equal(4, result.GetProperty("sockets").GetProperty("connected").GetInt64());
            Assert.True(result.GetProperty("sockets").GetProperty("serverMicrosPerHandshake").GetDouble() > 0);
            Assert.Equal(2, result.GetProperty("servers").GetArrayLength());
            foreach (var server in result.GetProperty("servers").EnumerateArray())
            {
                Assert.True(server.GetProperty("loaded").GetProperty("rssKb").GetInt64() > 0);
            }

            var sends = result.GetProperty("sends");
            Assert.True(sends.GetProperty("acceptedNotifications").GetInt64() > 0);
            Assert.Equal(sends.GetProperty("requests").GetInt64(), sends.GetProperty("acceptedRequests").GetInt64());
            var deliveries = result.GetProperty("deliveries");
            Assert.Equal(0, deliveries.GetProperty("lost").GetInt64());
            Assert.Equal(0, deliveries.GetProperty("duplicates").GetInt64());
            Assert.Equal(deliveries.GetProperty("expected").GetInt64(), deliveries.GetProperty("received").GetInt64());
            var storm = result.GetProperty("storm");
            Assert.Equal(4, storm.GetProperty("synced").GetInt64());
            Assert.Equal(0, storm.GetProperty("lost").GetInt64());
            Assert.True(result.GetProperty("latency").GetProperty("count").GetInt64() > 0);
            Assert.Contains("smoke", log, StringComparison.Ordinal);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Steady_WithTwoPasses_WritesOneResultPerPassOfTheSameServers()
    {
        var postgres = TestEnvironment.RequirePostgres();
        var redis = TestEnvironment.RequireRedis();
        var output = Directory.CreateTempSubdirectory("notifypush-bench-passes");
        try
        {
            var (exitCode, log) = await BenchProcess.RunAsync(
                RunTimeout,
                "steady", "--replicas", "2", "--sockets", "4", "--rate", "20", "--duration", "1", "--warmup", "0", "--passes", "2",
                "--postgres", postgres, "--redis", redis,
                "--server-dll", Path.Combine(AppContext.BaseDirectory, "NotifyPush.Server.dll"),
                "--out", output.FullName, "--deadline", "120");

            Assert.True(exitCode == 0, $"the bench exited with {exitCode}:\n{log}");
            var files = output.GetFiles("steady-*.json").OrderBy(f => f.Name, StringComparer.Ordinal).ToArray();
            Assert.Equal(["pass1", "pass2"], files.Select(f => f.Name.Split('-')[1]));
            var pids = new List<string>();
            for (var pass = 1; pass <= 2; pass++)
            {
                using var json = JsonDocument.Parse(await File.ReadAllTextAsync(files[pass - 1].FullName));
                var result = json.RootElement;
                Assert.Equal(pass, result.GetProperty("pass").GetInt32());
                Assert.Equal(2, result.GetProperty("passes").GetInt32());
                Assert.True(result.GetProperty("ok").GetBoolean(), log);
                Assert.StartsWith($"steady: pass {pass} of 2: ", result.GetProperty("summary").GetString(), StringComparison.Ordinal);
                Assert.True(result.GetProperty("latency").GetProperty("count").GetInt64() > 0);
                Assert.Equal(0, result.GetProperty("deliveries").GetProperty("lost").GetInt64());
                Assert.Equal(0, result.GetProperty("deliveries").GetProperty("duplicates").GetInt64());
                pids.Add(string.Join(",", result.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("pid").GetInt64())));
            }

            // Both passes ran on the same server processes: the second is the first one warm.
            Assert.Equal(pids[0], pids[1]);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
