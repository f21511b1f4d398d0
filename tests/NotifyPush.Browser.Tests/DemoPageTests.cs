using Microsoft.Playwright;
using NotifyPush.Browser.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

public sealed class DemoPageTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    [Fact]
    public Task TheSendForm_DeliversToTheSignedInTab_AndAReloadKeepsTheListAndReplaysWhatArrivedMeanwhile() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        const string user = "form-user";

        var tab = await DemoPage.OpenAsync(Context, server, user);
        await Assertions.Expect(tab.Page.Locator("#send-to")).ToHaveValueAsync(user);
        await tab.Page.Locator("#send-type").FillAsync("chat.message");
        await tab.Page.Locator("#send-payload").FillAsync("""{"text": "sent from the form"}""");
        await tab.Page.Locator("#send").ClickAsync();
        await Assertions.Expect(tab.Page.Locator("#send-result")).ToHaveAttributeAsync("data-status", "202");

        await tab.AssertSeqsAsync(1);
        Assert.Equal("chat.message", await tab.Item(1).Locator(".event").InnerTextAsync());

        // The form sent through the Development-only /dev/send: no service key is in the page.
        Assert.DoesNotContain("dev-api-key", await tab.Page.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await tab.Page.Locator("#send-key").CountAsync());
        Assert.Equal("sent from the form", (await tab.PayloadAsync(1)).GetProperty("text").GetString());
        Assert.Empty(await tab.ReplayedSeqsAsync());

        // Away from the page (same tab, so the same sessionStorage), two more arrive.
        await tab.Page.GotoAsync("about:blank");
        await ServerSockets.WaitForAsync(server, user, s => s.Length == 0, "the tab's socket is closed");
        var meanwhile = new List<long>();
        for (var i = 1; i <= 2; i++)
        {
            meanwhile.Add((await ServiceApi.SendAsync(service, user, "while.away", new { n = i }))[0].Seq);
        }

        await tab.GotoAsync(server, user);
        await tab.AssertSeqsAsync([1, .. meanwhile]);
        Assert.Equal(meanwhile, await tab.ReplayedSeqsAsync());
        Assert.Equal($"{meanwhile[^1]}", await tab.Page.Locator("#synced-seq").GetAttributeAsync("data-seq"));

        // A plain reload keeps the same list and tags; nothing is replayed twice.
        await tab.Page.ReloadAsync();
        await tab.WaitForStateAsync("live");
        await tab.AssertSeqsAsync([1, .. meanwhile]);
        Assert.Equal(meanwhile, await tab.ReplayedSeqsAsync());
        Assert.Equal($"{meanwhile[^1]}", await tab.Page.Locator("#synced-seq").GetAttributeAsync("data-seq"));
    });

    [Fact]
    public Task TheDemoPage_WithLiveAndReplayedNotifications_IsKeptAsAScreenshot() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        const string user = "alice";

        // Two sent before the tab opens are replayed; two sent while it is open arrive live.
        await ServiceApi.SendAsync(service, user, "order.shipped", new { orderId = 1234, carrier = "DHL" });
        await ServiceApi.SendAsync(service, user, "invoice.ready", new { invoiceId = "INV-2026-0042", amount = 129.90 });
        var tab = await DemoPage.OpenAsync(Context, server, user);
        await ServiceApi.SendAsync(service, user, "chat.message", new { from = "bob", text = "Lunch at noon?" });
        await tab.Page.Locator("#send-payload").FillAsync("""{"text": "Hello from the demo page"}""");
        await tab.Page.Locator("#send").ClickAsync();

        await tab.AssertSeqsAsync(1, 2, 3, 4);
        Assert.Equal(new long[] { 1, 2 }, await tab.ReplayedSeqsAsync());
        await Assertions.Expect(tab.Page.Locator("#send-result")).ToHaveAttributeAsync("data-status", "202");

        var path = Artifacts.PathFor("demo-page.png");
        await tab.Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Output.WriteLine($"screenshot: {path}");

        await tab.Page.SetViewportSizeAsync(420, 900);
        var narrow = Artifacts.PathFor("demo-page-narrow.png");
        await tab.Page.ScreenshotAsync(new PageScreenshotOptions { Path = narrow, FullPage = true });
        Output.WriteLine($"screenshot: {narrow}");
        Assert.True(new FileInfo(path).Length > 0 && new FileInfo(narrow).Length > 0);
    });

    [Fact]
    public Task SigningTheUserOut_StopsThePage_AndItDoesNotReconnect() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        const string user = "signed-out";

        var tab = await DemoPage.OpenAsync(Context, server, user);
        using var response = await service.PostAsync($"/api/users/{user}/disconnect", null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);

        await tab.WaitForStateAsync("stopped");
        await Assertions.Expect(tab.Page.Locator("#last-close")).ToHaveAttributeAsync("data-code", "4003");
        await Assertions.Expect(tab.Page.Locator("#log")).ToContainTextAsync("signed out by the server (4003)");
        await Assertions.Expect(tab.Page.Locator("#disconnect")).ToBeDisabledAsync();
        Assert.Empty(ServerSockets.Of(server, user));
        Assert.Equal(1, await tab.ConnectsAsync());
    });
}
