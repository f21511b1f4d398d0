using NotifyPush.Client.Resilience;
using NotifyPush.Client.Subscribing;

namespace NotifyPush.Client.Tests.Resilience;

/// <summary>The bounds of the full-jitter backoff the subscriber and the publisher wait by.</summary>
public sealed class FullJitterBackoffTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(60);

    [Fact]
    public void Ceiling_DoublesFromTheFirstDelayUntilTheCap()
    {
        var ceilings = Enumerable.Range(0, 6).Select(attempt => FullJitterBackoff.Ceiling(attempt, First, Max).TotalSeconds);

        Assert.Equal([5.0, 10, 20, 40, 60, 60], ceilings);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999999)]
    [InlineData(1.0)]
    public void Delay_IsWithinZeroAndTheCeilingForAnySample(double sample)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var delay = FullJitterBackoff.Delay(attempt, First, Max, sample);
            Assert.InRange(delay, TimeSpan.Zero, FullJitterBackoff.Ceiling(attempt, First, Max));
        }

        Assert.Equal(TimeSpan.FromSeconds(5 * sample), FullJitterBackoff.Delay(0, First, Max, sample));
    }

    [Fact]
    public void Delay_OfTheFirstRetryWithTheSubscribersDefaults_IsSpreadOverZeroToFiveSeconds()
    {
        var options = new NotifyPushSubscriberOptions();
        var delays = Enumerable.Range(0, 2000).Select(_ => FullJitterBackoff.Delay(0, options.ReconnectFirstDelay, options.ReconnectMaxDelay)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(5)));
        // Spread, not bunched: both halves of the window are used (2000 samples make missing one vanishingly unlikely).
        Assert.Contains(delays, d => d < TimeSpan.FromSeconds(1));
        Assert.Contains(delays, d => d > TimeSpan.FromSeconds(4));
    }

    [Fact]
    public void Delay_AfterVeryManyAttempts_StaysAtTheCapWithoutOverflowing()
    {
        Assert.Equal(Max, FullJitterBackoff.Ceiling(int.MaxValue, First, Max));
        Assert.Equal(Max, FullJitterBackoff.Ceiling(1000, First, Max));
        Assert.InRange(FullJitterBackoff.Delay(int.MaxValue, First, Max), TimeSpan.Zero, Max);
    }

    [Fact]
    public void Delay_WithAZeroWindow_IsZero()
    {
        Assert.Equal(TimeSpan.Zero, FullJitterBackoff.Delay(3, TimeSpan.Zero, Max, 0.7));
        Assert.Equal(TimeSpan.Zero, FullJitterBackoff.Delay(3, First, TimeSpan.Zero, 0.7));
    }
}
