using NotifyPush.Bench.Cli;

namespace NotifyPush.Bench.Tests;

public sealed class ScaleOptionsTests
{
    [Fact]
    public void Parse_Scale_DefaultsToTenThousandSocketsOnFourReplicasAClusterAndBothFaults()
    {
        var options = BenchOptions.Parse(["scale"]);

        Assert.Equal(10_000, options.Sockets);
        Assert.Equal(4, options.Replicas);
        Assert.Equal("cluster", options.RedisTopology);
        Assert.Equal(["redis", "postgres"], options.Faults);
    }

    [Fact]
    public void Parse_ScaleWithRedisSentinel_ChoosesTheTopologyNotAnAddress()
    {
        var options = BenchOptions.Parse(["scale", "--redis", "sentinel", "--faults", "postgres"]);

        Assert.Equal("sentinel", options.RedisTopology);
        Assert.Equal(Environment.GetEnvironmentVariable("NOTIFYPUSH_TEST_REDIS"), options.Redis);
        Assert.Equal(["postgres"], options.Faults);
    }

    [Fact]
    public void Parse_ScaleWithFaultsNone_RunsNoFault() =>
        Assert.Empty(BenchOptions.Parse(["scale", "--faults", "none"]).Faults);

    [Theory]
    [InlineData("--redis", "127.0.0.1:6379")]
    [InlineData("--faults", "network")]
    [InlineData("--replicas", "1")]
    [InlineData("--store", "sqlite")]
    public void Parse_ScaleWithAnUnsupportedSetting_IsRefusedWithAMessage(string name, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["scale", name, value]));

        Assert.Contains("scale", error.Message, StringComparison.Ordinal);
    }
}
