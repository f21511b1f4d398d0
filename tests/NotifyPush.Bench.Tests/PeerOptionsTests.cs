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
            new() { Scenario = "steady", Target = "gorilla", Ok = true, Latency = new LatencySummary(250, 1.2, 2.0, 3.4, 4.0, 5.0, 1.3), Cpu = new CpuReport { MicrosPerDelivered = 150, ServerCores = 0.1 } },
            new() { Scenario = "steady", Target = "notifypush", Ok = true, Latency = new LatencySummary(250, 2.5, 4.0, 10.1, 12.0, 16.5, 3.0) },
            new() { Scenario = "steady", Target = "signalr", Ok = false, Summary = "steady --peer signalr: did not start; FAILED" },
        ];

        var lines = TableCommand.Render(results).Split('\n');

        Assert.StartsWith("| steady | notifypush |", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("| steady | gorilla |", lines[3], StringComparison.Ordinal);
        Assert.Contains("150 µs", lines[3], StringComparison.Ordinal);
        Assert.Contains("0 ok, 1 failed", lines[4], StringComparison.Ordinal);
    }
}
