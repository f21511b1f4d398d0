using NotifyPush.Browser.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

public sealed class OfflineTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    // Chromium's offline emulation (what SetOfflineAsync does) fires the window's offline event and sets
    // navigator.onLine to false, but it does not close an open WebSocket: the TCP connection stays up and frames
    // from the server are held back until the browser is online again. So the server seeing no socket while
    // offline, and a new connection id afterwards, proves the client itself closed the socket on 'offline' and
    // reconnected with since on 'online'; the notifications then come from the store as a replay.
    [Fact]
    public Task GoingOffline_ThenOnline_ShowsWhatWasSentMeanwhileInOrderOnceAsReplayed() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        const string user = "offline";

        var tab = await DemoPage.OpenAsync(Context, server, user);
        var firstConnection = await tab.ConnectionIdAsync();
        var before = await ServiceApi.SendAsync(service, user, "before.offline");
        await tab.AssertSeqsAsync(before[0].Seq);

        await Context.SetOfflineAsync(true);
        await ServerSockets.WaitForAsync(server, user, s => s.Length == 0, "the client closed its socket on going offline");
        Assert.NotEqual("live", await tab.StateAsync());

        var whileOffline = new List<long>();
        for (var i = 1; i <= 3; i++)
        {
            whileOffline.AddRange((await ServiceApi.SendAsync(service, user, "while.offline", new { n = i })).Select(n => n.Seq));
        }

        Assert.Equal([before[0].Seq], await tab.SeqsAsync());

        await Context.SetOfflineAsync(false);
        await tab.WaitForStateAsync("live");
        await tab.AssertSeqsAsync([before[0].Seq, .. whileOffline]);
        Assert.Equal(whileOffline, await tab.ReplayedSeqsAsync());

        Assert.Equal(2, await tab.ConnectsAsync());
        var secondConnection = await tab.ConnectionIdAsync();
        Assert.NotEqual(firstConnection, secondConnection);
        var sockets = await ServerSockets.WaitForAsync(server, user, s => s.Length == 1, "the tab holds one socket again");
        Assert.Equal(secondConnection, sockets[0]);

        // Live again: the next one arrives on the new socket, not as a replay.
        var after = await ServiceApi.SendAsync(service, user, "after.online");
        await tab.AssertSeqsAsync([before[0].Seq, .. whileOffline, after[0].Seq]);
        Assert.Equal(whileOffline, await tab.ReplayedSeqsAsync());
    });
}
