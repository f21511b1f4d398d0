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
                "--transport", transport, "--out", output.FullName, "--deadline", "120");

            Assert.True(exitCode == 0, $"the bench exited with {exitCode}:\n{log}");
            var file = Assert.Single(output.GetFiles("smoke-*.json"));
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file.FullName));
            var result = json.RootElement;
            Assert.Equal("smoke", result.GetProperty("scenario").GetString());
            Assert.Equal(transport, result.GetProperty("settings").GetProperty("transport").GetString());
            Assert.True(result.GetProperty("ok").GetBoolean(), log);
            Assert.Empty(result.GetProperty("errors").EnumerateObject());
            Assert.Equal(4, result.GetProperty("sockets").GetProperty("connected").GetInt64());
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
}
