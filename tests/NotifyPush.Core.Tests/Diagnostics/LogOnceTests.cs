using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Core.Tests.Diagnostics;

public sealed class LogOnceTests
{
    [Fact]
    public void ARunOfFailures_IsReportedOnceAndItsEndOnce()
    {
        var outage = new LogOnce();
        Assert.False(outage.Succeed()); // No outage to end yet.

        Assert.True(outage.Fail());
        Assert.False(outage.Fail());
        Assert.True(outage.IsFailing);

        Assert.True(outage.Succeed());
        Assert.False(outage.Succeed());
        Assert.False(outage.IsFailing);

        Assert.True(outage.Fail()); // The next outage is reported again.
    }

    [Fact]
    public async Task ConcurrentFailures_ReportTheOutageExactlyOnce()
    {
        var outage = new LogOnce();
        var firsts = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(outage.Fail)));
        Assert.Equal(1, firsts.Count(first => first));
    }
}
