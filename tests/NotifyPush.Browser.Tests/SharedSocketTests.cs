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
}
