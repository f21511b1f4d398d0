using NotifyPush.Browser.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

public sealed class TokenRefreshTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    private const int TokenLifetimeSeconds = 30;

    [Fact]
    public Task ATokenThatExpiresDuringTheTest_IsRefreshedOnTheSameSocket_AndNothingIsLost() => RunAsync(async () =>
    {
        // token-expiring comes 20 s before the 30 s token expires: the refresh has plenty of time on a slow machine,
        // and the test still sees the original token's expiry pass. No clock skew, so the socket's deadline is the
        // token's exp itself (with the default 30 s skew it would be 30 s later).
        var server = StartServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:TokenExpiryWarningSeconds"] = "20",
            ["NotifyPush:Auth:Jwt:ClockSkewSeconds"] = "0",
        });
        using var service = server.CreateServiceClient();
        const string user = "token-refresh";

        var tab = await DemoPage.OpenAsync(Context, server, user, $"lifetime={TokenLifetimeSeconds}");
        var connection = await tab.ConnectionIdAsync();
        var originalExpiry = await tab.TokenExpiresAtAsync();
        Assert.Equal(1, await tab.TokensAsync());

        var before = await ServiceApi.SendAsync(service, user, "before.expiry");
        await tab.AssertSeqsAsync(before[0].Seq);

        await tab.Page.WaitForFunctionAsync("() => Number(document.getElementById('tokens').textContent) >= 2");
        Assert.True(await tab.TokenExpiresAtAsync() > originalExpiry, "the page fetched a token that outlives the first");

        // Past the original token's expiry by more than a heartbeat tick: a socket still on that token would have
        // been closed with 4001 by now.
        await tab.Page.WaitForFunctionAsync(
            "expiry => Date.now() > expiry",
            originalExpiry.AddSeconds(2).ToUnixTimeMilliseconds(),
            new Microsoft.Playwright.PageWaitForFunctionOptions { PollingInterval = 250, Timeout = (TokenLifetimeSeconds + 30) * 1000 });

        var after = await ServiceApi.SendAsync(service, user, "after.expiry");
        await tab.AssertSeqsAsync(before[0].Seq, after[0].Seq);
        Assert.Empty(await tab.ReplayedSeqsAsync());

        Assert.Equal("live", await tab.StateAsync());
        Assert.Equal(1, await tab.ConnectsAsync());
        Assert.Equal(connection, await tab.ConnectionIdAsync());
        Assert.Equal("—", await tab.Page.Locator("#last-close").InnerTextAsync());
        Assert.Equal([connection!], ServerSockets.Of(server, user));
        Assert.DoesNotContain(server.Logs, log => log.Message.Contains("credential expired", StringComparison.Ordinal));
    });
}
