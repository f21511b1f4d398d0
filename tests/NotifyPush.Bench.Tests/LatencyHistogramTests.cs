using NotifyPush.Bench.Measurement;

namespace NotifyPush.Bench.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_OfOneToThousandMilliseconds_AreWithinOnePercent()
    {
        var histogram = new LatencyHistogram();
        for (var ms = 1; ms <= 1000; ms++)
        {
            histogram.Record(ms * 1000L);
        }

        var summary = histogram.Summarize();
        Assert.Equal(1000, summary.Count);
        Assert.InRange(summary.P50Ms, 495, 505);
        Assert.InRange(summary.P99Ms, 980, 1000);
        Assert.Equal(1000, summary.MaxMs);
    }

    [Fact]
    public void Merge_OfTwoSnapshots_CountsEveryValueAndKeepsTheMaximum()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(250);
        a.Record(12_345);
        b.Record(987_654);

        var merged = new LatencyHistogram();
        merged.Merge(a.Snapshot());
        merged.Merge(b.Snapshot());

        Assert.Equal(3, merged.Count);
        Assert.Equal(987_654, merged.MaxMicros);
        Assert.InRange(merged.PercentileMicros(50), 12_300, 12_400);
    }
}
