using System.Text.Json;

namespace NotifyPush.Bench.Tests;

/// <summary>
/// Runs the scale scenario small: 200 sockets on 4 replicas over its own Redis Cluster (3 masters + 3 replicas) and a
/// PostgreSQL primary with a synchronous standby, with one fault, the primary killed and the standby promoted. Checks
/// the per-phase report is there, sends met 503 and never 500, and every socket ended with exactly its 1..N; never a
/// timing.
/// </summary>
public sealed class ScaleSmokeTests
{
    [Fact]
    public async Task Scale_WithPostgresFailoverUnder200Sockets_LosesNothingAndAnswersNo500()
    {
        // The scenario starts its own servers; these fail loudly when the programs are missing.
        TestEnvironment.RequireRedisServerExecutable();
        TestEnvironment.RequirePostgresBinaries();
        var output = Directory.CreateTempSubdirectory("notifypush-bench-scale");
        try
        {
            var (exitCode, log) = await BenchProcess.RunAsync(
                TimeSpan.FromSeconds(150),
                "scale", "--sockets", "200", "--rate", "40", "--settle", "3", "--warmup", "1", "--faults", "postgres",
                "--server-dll", Path.Combine(AppContext.BaseDirectory, "NotifyPush.Server.dll"),
                "--out", output.FullName, "--deadline", "140");

            Assert.True(exitCode == 0, $"the bench exited with {exitCode}:\n{log}");
            var file = Assert.Single(output.GetFiles("scale-*.json"));
            Assert.Single(output.GetFiles("scale-*.md"));
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file.FullName));
            var result = json.RootElement;
            Assert.True(result.GetProperty("ok").GetBoolean(), log);
            Assert.Equal(200, result.GetProperty("sockets").GetProperty("connected").GetInt64());
            Assert.Equal(4, result.GetProperty("servers").GetArrayLength());

            var scale = result.GetProperty("scale");
            Assert.Equal("cluster", scale.GetProperty("redis").GetString());
            Assert.Equal(0, scale.GetProperty("lost").GetInt64());
            Assert.Equal(0, scale.GetProperty("duplicated").GetInt64());
            Assert.Equal(0, scale.GetProperty("outOfOrder").GetInt64());
            Assert.Equal(200, scale.GetProperty("openAtEnd").GetInt64());
            var phases = scale.GetProperty("phases").EnumerateArray().ToList();
            Assert.Equal(["before", "postgres-failover", "after"], phases.Select(p => p.GetProperty("name").GetString()));
            Assert.All(phases, p => Assert.False(p.GetProperty("postsOther").TryGetProperty("500", out _), log));
            Assert.All(phases, p => Assert.True(p.GetProperty("posts202").GetInt64() > 0, log));
            Assert.True(phases[1].TryGetProperty("faultToPromotedSeconds", out _));

            var deliveries = result.GetProperty("deliveries");
            Assert.Equal(0, deliveries.GetProperty("lost").GetInt64());
            // A send given up on may still have been stored and delivered: received can exceed what got 202, never fall short.
            Assert.True(deliveries.GetProperty("received").GetInt64() >= deliveries.GetProperty("expected").GetInt64(), log);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
