using Microsoft.Playwright;
using NotifyPush.Browser.Tests.Infrastructure;
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
    public Task SharedMode_TabsOfTwoUsersInOneBrowser_NeverShare_EachTabShowsOnlyItsOwnUsersNotifications() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        var alice = $"shared-alice-{Guid.NewGuid():N}";
        var bob = $"shared-bob-{Guid.NewGuid():N}";

        // One browser, one origin, both with shared: true (the demo's shared=1): the group is keyed by the token's user.
        var aliceTab = await DemoPage.OpenAsync(Context, server, alice, "shared=1");
        await aliceTab.WaitForRoleAsync("leader");
        var bobTab = await DemoPage.OpenAsync(Context, server, bob, "shared=1");
        await bobTab.WaitForRoleAsync("leader");
        var aliceSecondTab = await DemoPage.OpenAsync(Context, server, alice, "shared=1");
        await aliceSecondTab.WaitForRoleAsync("follower");

        var toAlice = (await ServiceApi.SendAsync(service, alice, "shared.for-alice", new { to = "alice" }))[0].Seq;
        var toBob = (await ServiceApi.SendAsync(service, bob, "shared.for-bob", new { to = "bob" }))[0].Seq;

        await bobTab.AssertSeqsAsync(toBob);
        Assert.Equal("bob", (await bobTab.PayloadAsync(toBob)).GetProperty("to").GetString());
        await aliceTab.AssertSeqsAsync(toAlice);
        Assert.Equal("alice", (await aliceTab.PayloadAsync(toAlice)).GetProperty("to").GetString());
        await aliceSecondTab.AssertSeqsAsync(toAlice);
        Assert.Equal("alice", (await aliceSecondTab.PayloadAsync(toAlice)).GetProperty("to").GetString());

        // Each user's socket is their own tab's, and each user's stream is acknowledged by that user's socket only.
        Assert.Equal<string>([(await aliceTab.ConnectionIdAsync())!], await ServerSockets.WaitForAsync(server, alice, s => s.Length == 1, "alice's one socket"));
        Assert.Equal<string>([(await bobTab.ConnectionIdAsync())!], await ServerSockets.WaitForAsync(server, bob, s => s.Length == 1, "bob's one socket"));
        await ServiceApi.EventuallyAsync(async () => await AckedSeqAsync(service, bob) == toBob, "bob's notification is acknowledged");
        await ServiceApi.EventuallyAsync(async () => await AckedSeqAsync(service, alice) == toAlice, "alice's notification is acknowledged");

        // Still nothing of alice's in bob's tab (a relay would have arrived by now: alice's second tab has it).
        Assert.Equal([toBob], await bobTab.SeqsAsync());
        await Assertions.Expect(bobTab.Page.Locator("#list")).Not.ToContainTextAsync("shared.for-alice");
        await CaptureAsync("shared-mode-two-users");
    });

    private static async Task<long> AckedSeqAsync(HttpClient service, string user)
    {
        using var response = await service.GetAsync($"/api/users/{Uri.EscapeDataString(user)}/notifications");
        response.EnsureSuccessStatusCode();
        using var history = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return history.RootElement.GetProperty("ackedSeq").GetInt64();
    }

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
