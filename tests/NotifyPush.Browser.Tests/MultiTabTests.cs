using NotifyPush.Browser.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

public sealed class MultiTabTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    [Fact]
    public Task TwoTabsOfOneUser_EachWithItsOwnSocket_BothShowAPostedNotification() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        const string user = "two-tabs";

        var first = await DemoPage.OpenAsync(Context, server, user);
        var second = await DemoPage.OpenAsync(Context, server, user);
        var sockets = await ServerSockets.WaitForAsync(server, user, s => s.Length == 2, "both tabs hold a socket");
        Assert.Equivalent(sockets, new[] { await first.ConnectionIdAsync(), await second.ConnectionIdAsync() });

        var sent = await ServiceApi.SendAsync(service, user, "order.shipped", new { orderId = 42 });

        foreach (var tab in new[] { first, second })
        {
            await tab.AssertSeqsAsync(sent[0].Seq);
            Assert.Empty(await tab.ReplayedSeqsAsync());
            Assert.Equal(42, (await tab.PayloadAsync(sent[0].Seq)).GetProperty("orderId").GetInt32());
            Assert.Equal("order.shipped", await tab.Item(sent[0].Seq).Locator(".event").InnerTextAsync());
        }
    });
}
