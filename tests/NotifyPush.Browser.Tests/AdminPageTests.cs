using Microsoft.Playwright;
using NotifyPush.Browser.Tests.Infrastructure;
using NotifyPush.Core.Protocol;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

/// <summary>The operators' page in Chromium against a 2-replica cluster (Postgres, Redis), Production mode.</summary>
public sealed class AdminPageTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    [Fact]
    public Task TheAdminPage_ShowsBothReplicas_LooksUpAUsersPresenceAndHistory_AndSignsThemOut() => RunAsync(async () =>
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 2, settings: new Dictionary<string, string?>
        {
            ["NotifyPush:Admin:Enabled"] = "true",
            ["NotifyPush:Presence:FlushIntervalMilliseconds"] = "100",
            ["NotifyPush:Presence:HeartbeatSeconds"] = "1",
            ["NotifyPush:Presence:TimeoutSeconds"] = "5",
        });
        var (served, holder) = (cluster.Replicas[0], cluster.Replicas[1]);
        var user = $"admin-{Guid.NewGuid():N}";

        // The user's socket is on the other replica; three notifications, the first two acknowledged.
        await using var socket = await TestSocket.ConnectAsync(holder.SocketUriFor(user));
        await socket.ReadUntilSyncedAsync();
        await ServiceApi.SendAsync(served.Api, user, "order.shipped", new { orderId = 1234 });
        await ServiceApi.SendAsync(served.Api, user, "invoice.ready", new { invoiceId = "INV-42" });
        await ServiceApi.SendAsync(served.Api, user, "chat.message", new { text = "Lunch at noon?" });
        Assert.Equal(3, (await socket.ReadNotificationsAsync(3)).Count);
        await socket.AckAsync(2);

        var page = await Context.NewPageAsync();
        await page.GotoAsync(new Uri(served.BaseAddress, "/admin").ToString());
        await page.Locator("#api-key").FillAsync(NotifyPushTestServer.ApiKey);
        await page.Locator("#connect").ClickAsync();
        await Assertions.Expect(page.Locator("#auth-status")).ToHaveAttributeAsync("data-status", "ok");

        // Both replicas, each with its backplane and store; the one socket counted once.
        await Assertions.Expect(page.Locator("#replicas tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#replica-count")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#socket-count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#replicas tbody td.bad")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#send-rate")).Not.ToHaveTextAsync("–");

        await page.Locator("#lookup-user").FillAsync(user);
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                await page.Locator("#lookup-button").ClickAsync();
                await Assertions.Expect(page.Locator("#lookup-result")).ToHaveAttributeAsync("data-status", "ok");
                return await page.Locator("#user-acked-seq").InnerTextAsync() == "2";
            },
            "the page shows the acknowledgement once it is written");
        await Assertions.Expect(page.Locator("#user-online")).ToHaveTextAsync("online");
        await Assertions.Expect(page.Locator("#user-sockets")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#user-replicas")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#user-last-seq")).ToHaveTextAsync("3");
        var rows = page.Locator("#history tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        Assert.Equal(["3", "2", "1"], await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.seq)"));
        Assert.Equal(["false", "true", "true"], await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.delivered)"));

        var path = Artifacts.PathFor("admin-page.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Output.WriteLine($"screenshot: {path}");
        Assert.True(new FileInfo(path).Length > 0);

        // Sign-out from the page closes the user's socket on the other replica.
        await page.Locator("#signout").ClickAsync();
        await Assertions.Expect(page.Locator("#signout-result")).ToHaveAttributeAsync("data-status", "202");
        Assert.Equal(CloseCodes.SignedOut, await socket.WaitForCloseAsync(TimeSpan.FromSeconds(15)));
    });

    [Fact]
    public Task TheAdminPage_WithAWrongKey_SaysSoAndShowsNothing() => RunAsync(async () =>
    {
        var server = StartServer(new Dictionary<string, string?> { ["NotifyPush:Admin:Enabled"] = "true" });
        var page = await Context.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "/admin").ToString());
        await page.Locator("#api-key").FillAsync("not-the-key");
        await page.Locator("#connect").ClickAsync();
        await Assertions.Expect(page.Locator("#auth-status")).ToHaveAttributeAsync("data-status", "error");
        await Assertions.Expect(page.Locator("#auth-status")).ToContainTextAsync("401");
        await Assertions.Expect(page.Locator("#replicas tbody tr")).ToHaveCountAsync(0);
    });
}
