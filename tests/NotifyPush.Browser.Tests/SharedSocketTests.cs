using Microsoft.Playwright;
using NotifyPush.Browser.Tests.Infrastructure;
using NotifyPush.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

public sealed class SharedSocketTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    [Fact]
    public Task SharedMode_TwoTabsHoldOneSocket_BothShowEveryNotification_AndTheOtherTabTakesOverWhenTheLeaderCloses() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        const string user = "shared";

        var leader = await DemoPage.OpenAsync(Context, server, user, "shared=1");
        await leader.WaitForRoleAsync("leader");
        var follower = await DemoPage.OpenAsync(Context, server, user, "shared=1");
        await follower.WaitForRoleAsync("follower");

        var sockets = await ServerSockets.WaitForAsync(server, user, s => s.Length == 1, "the leader holds the one socket");
        Assert.Equal(await leader.ConnectionIdAsync(), sockets[0]);

        var seqs = new List<long>();
        for (var i = 1; i <= 2; i++)
        {
            seqs.AddRange((await ServiceApi.SendAsync(service, user, "shared.tabs", new { n = i })).Select(n => n.Seq));
        }

        await leader.AssertSeqsAsync([.. seqs]);
        await follower.AssertSeqsAsync([.. seqs]);
        Assert.Equal([sockets[0]], ServerSockets.Of(server, user));
        await CaptureAsync("shared-mode");

        // Sent while the leader tab closes and before the other tab has taken over: it must come from the store.
        await leader.Page.CloseAsync();
        seqs.AddRange((await ServiceApi.SendAsync(service, user, "shared.handover", new { n = 3 })).Select(n => n.Seq));

        await follower.WaitForRoleAsync("leader");
        await follower.WaitForStateAsync("live");
        var takenOver = await ServerSockets.WaitForAsync(server, user, s => s.Length == 1 && s[0] != sockets[0], "the remaining tab holds a new socket");
        Assert.Equal(await follower.ConnectionIdAsync(), takenOver[0]);

        seqs.AddRange((await ServiceApi.SendAsync(service, user, "shared.after", new { n = 4 })).Select(n => n.Seq));
        await follower.AssertSeqsAsync([.. seqs]);
        Assert.Equal([takenOver[0]], ServerSockets.Of(server, user));
    });

    [Fact]
    public Task SharedMode_AFollowerTabThatWasAway_CatchesUpOnAShortLivedSocket_AndShowsEveryNotificationOnceInOrder() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        const string user = "shared-away";

        var leader = await DemoPage.OpenAsync(Context, server, user, "shared=1");
        await leader.WaitForRoleAsync("leader");
        var follower = await DemoPage.OpenAsync(Context, server, user, "shared=1");
        await follower.WaitForRoleAsync("follower");
        var first = (await ServiceApi.SendAsync(service, user, "shared.first"))[0].Seq;
        await follower.AssertSeqsAsync(first);

        // The follower tab goes away; back on the demo page it restores its list and position from sessionStorage
        // and joins again as a follower, behind the leader.
        await follower.Page.GotoAsync("about:blank");
        var meanwhile = (await ServiceApi.SendAsync(service, user, "shared.meanwhile"))[0].Seq;
        await leader.AssertSeqsAsync(first, meanwhile);

        await follower.GotoAsync(server, user, "shared=1");
        await follower.WaitForRoleAsync("follower");
        await follower.AssertSeqsAsync(first, meanwhile);
        Assert.Equal([meanwhile], await follower.ReplayedSeqsAsync());
        var sockets = await ServerSockets.WaitForAsync(server, user, s => s.Length == 1, "the catch-up socket has closed and the leader's remains");
        Assert.Equal(await leader.ConnectionIdAsync(), sockets[0]);

        var after = (await ServiceApi.SendAsync(service, user, "shared.after"))[0].Seq;
        await leader.AssertSeqsAsync(first, meanwhile, after);
        await follower.AssertSeqsAsync(first, meanwhile, after);
        Assert.Equal([meanwhile], await follower.ReplayedSeqsAsync());
        Assert.Equal([sockets[0]], ServerSockets.Of(server, user));

        // The follower shows the leader tab's socket as that, not as a socket it opened itself.
        await Assertions.Expect(follower.Page.Locator("#connects-shared")).ToBeVisibleAsync();
        await Assertions.Expect(follower.Page.Locator("#connects-own")).ToBeHiddenAsync();
        await Assertions.Expect(leader.Page.Locator("#connects-own")).ToHaveTextAsync("(1 opened by this tab)");
    });
}
