using NotifyPush.Bench.Cli;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Reporting;
using NotifyPush.Bench.Servers;

namespace NotifyPush.Bench.Tests;

public sealed class PeerOptionsTests
{
    [Fact]
    public void Parse_WithoutPeer_MeasuresNotifyPush()
    {
        var options = BenchOptions.Parse(["steady", "--redis", "127.0.0.1:1", "--postgres", "Host=x"]);

        Assert.Same(BenchTarget.NotifyPush, options.Peer);
        Assert.Equal("/ws", options.Peer.SocketPath);
    }

    [Theory]
    [InlineData("gorilla", "NotifyPush")]
    [InlineData("signalr", "SignalR")]
    [InlineData("centrifuge", "Centrifuge")]
    public void Parse_WithPeer_NeedsNoPostgresAndPicksThePeersClient(string peer, string protocol)
    {
        var options = BenchOptions.Parse(["steady", "--peer", peer, "--redis", "127.0.0.1:1"]);

        Assert.Equal(peer, options.Peer.Name);
        Assert.Equal(protocol, options.Peer.Protocol.ToString());
    }

    [Theory]
    [InlineData("storm")]
    [InlineData("smoke")]
    public void Parse_WithPeerAndAScenarioThatResumes_IsRefused(string scenario) =>
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse([scenario, "--peer", "gorilla", "--redis", "127.0.0.1:1"]));

    [Fact]
    public void Parse_WithPeerBatchesAndTwoReplicas_IsRefused() =>
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["throughput", "--peer", "gorilla", "--redis", "127.0.0.1:1", "--batch", "10", "--replicas", "2"]));

    [Fact]
    public void Parse_WithTransport_DefaultsToWebSocketTakesSseAndRefusesAnythingElse()
    {
        Assert.Equal("websocket", BenchOptions.Parse(["steady", "--postgres", "Host=x", "--redis", "127.0.0.1:1"]).Transport);
        Assert.Equal("sse", BenchOptions.Parse(["steady", "--transport", "sse", "--postgres", "Host=x", "--redis", "127.0.0.1:1"]).Transport);
        var error = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["steady", "--transport", "longpoll", "--postgres", "Host=x", "--redis", "127.0.0.1:1"]));
        Assert.Contains("websocket or sse", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WithSseAndAPeer_IsRefused() =>
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["steady", "--transport", "sse", "--peer", "gorilla", "--redis", "127.0.0.1:1"]));

    [Fact]
    public void Parse_WithAnUnknownPeer_NamesTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["steady", "--peer", "socketio", "--redis", "127.0.0.1:1"]));

        Assert.Contains("centrifuge", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_OfTwoTargets_PutsNotifyPushFirstAndShowsFailedRuns()
    {
        BenchResult[] results =
        [
            new() { Scenario = "steady", Target = "gorilla", Ok = true, Latency = new LatencySummary(250, 1.2, 2.0, 3.4, 4.0, 5.0, 1.3), Cpu = new CpuReport { MicrosPerDelivered = 150, AllMicrosPerDelivered = 190, ServerCores = 0.1 }, Sockets = new SocketReport { Connected = 10_000, ConnectSeconds = 3.14 } },
            new() { Scenario = "idle", Target = "gorilla", Ok = true, RssPerSocketKb = 23.96, Sockets = new SocketReport { Connected = 18_000, ConnectSeconds = 5.5, ServerMicrosPerHandshake = 251 } },
            new()
            {
                Scenario = "steady", Target = "notifypush", Ok = true, Latency = new LatencySummary(250, 2.5, 4.0, 10.1, 12.0, 16.5, 3.0),
                Servers =
                [
                    new ServerReport { PhaseMicrosPerDelivered = 120, GcPauses = GcPauseReport.From([(0, 1.5), (0, 2.5), (1, 9.25)]) },
                    new ServerReport { PhaseMicrosPerDelivered = 310, GcPauses = GcPauseReport.From([(0, 4.0)]) },
                ],
            },
            new() { Scenario = "steady", Target = "signalr", Ok = false, Summary = "steady --peer signalr: did not start; FAILED" },
        ];

        var lines = TableCommand.Render(results).Split('\n');

        Assert.StartsWith("| idle | gorilla | 18,000 | 5.5 s | 24.0 KB |", lines[2], StringComparison.Ordinal);
        Assert.Contains("| 251 µs | 0 | 0 | 1 |", lines[2], StringComparison.Ordinal);
        // Every row, a failed run's included, has the header's columns.
        Assert.All(lines.Take(6), line => Assert.Equal(lines[0].Count(c => c == '|'), line.Count(c => c == '|')));
        Assert.StartsWith("| steady | notifypush |", lines[3], StringComparison.Ordinal);
        Assert.Contains("| 310 µs | 9.25 ms / 9.25 ms |", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("| steady | gorilla | 10,000 | 3.1 s |  |", lines[4], StringComparison.Ordinal);
        Assert.Contains("| 150 µs | 190 µs |", lines[4], StringComparison.Ordinal);
        Assert.Contains("0 ok, 1 failed", lines[5], StringComparison.Ordinal);
    }

    [Fact]
    public void Table_OfTwoPasses_ListsThePassJustStartedBeforeTheWarmOne_EachTargetInItsPass()
    {
        BenchResult[] results =
        [
            new() { Scenario = "steady", Target = "gorilla", Pass = 2, Passes = 2, Ok = true, Sockets = new SocketReport { Connected = 10 } },
            new() { Scenario = "steady", Target = "notifypush", Pass = 2, Passes = 2, Ok = true, Sockets = new SocketReport { Connected = 10 } },
            new() { Scenario = "steady", Target = "gorilla", Pass = 1, Passes = 2, Ok = true, Sockets = new SocketReport { Connected = 10 } },
            new() { Scenario = "steady", Target = "notifypush", Pass = 1, Passes = 2, Ok = true, Sockets = new SocketReport { Connected = 10 } },
        ];

        var lines = TableCommand.Render(results).Split('\n');

        Assert.StartsWith("| steady, pass 1 (just started) | notifypush |", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("| steady, pass 1 (just started) | gorilla |", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("| steady, pass 2 (warm) | notifypush |", lines[4], StringComparison.Ordinal);
        Assert.StartsWith("| steady, pass 2 (warm) | gorilla |", lines[5], StringComparison.Ordinal);
    }

    [Fact]
    public void Passes_BelowOne_AreRefused()
    {
        Assert.Equal(2, BenchOptions.Parse(["throughput", "--passes", "2", "--redis", "127.0.0.1:1", "--postgres", "Host=x"]).Passes);
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["throughput", "--passes", "0", "--redis", "127.0.0.1:1", "--postgres", "Host=x"]));
    }

    [Fact]
    public void GcPauseReport_TakesTheNearestRankP99AndTheLongestPausePerGeneration()
    {
        var pauses = Enumerable.Range(1, 200).Select(i => (i <= 150 ? 0 : 1, i / 10.0)).ToArray();

        var report = GcPauseReport.From(pauses);

        Assert.Equal(200, report.Count);
        Assert.Equal(19.8, report.P99Ms);
        Assert.Equal(20.0, report.MaxMs);
        Assert.Equal(150, report.ByGeneration["gen0"].Count);
        Assert.Equal(15.0, report.ByGeneration["gen0"].MaxMs);
        Assert.Equal(20.0, report.ByGeneration["gen1"].MaxMs);
    }

    [Fact]
    public void BackendCpu_CountsGrowthOfKnownProcessesAndAllOfNewOnes_NotEndedOnes()
    {
        var before = new Dictionary<int, double> { [10] = 5.0, [11] = 1.0, [12] = 3.0 };
        var after = new Dictionary<int, double> { [10] = 7.5, [11] = 1.25, [13] = 0.5 };

        Assert.Equal(2.5 + 0.25 + 0.5, ProcessStats.CpuSecondsBetween(before, after), precision: 6);
    }

    [Fact]
    public void CpuSecondsByCommand_FindsThisProcessByItsCommandName()
    {
        var self = Environment.ProcessId;
        var comm = File.ReadAllText($"/proc/{self}/comm").Trim();

        var found = ProcessStats.CpuSecondsByCommand([comm]);

        Assert.True(found.ContainsKey(self), $"pid {self} ({comm}) was not found.");
        Assert.True(found[self] > 0);
    }
}
