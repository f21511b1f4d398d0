using NotifyPush.Browser.Tests.Infrastructure;
using NotifyPush.Core.Connections;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

/// <summary>
/// A page whose WebSocket is blocked (window.WebSocket replaced before any script runs, as a locked-down browser or a
/// proxy that refuses upgrades leaves it): notifypush.js falls back to the Server-Sent Events stream on its own, and
/// notifications still arrive once each, in order, also across a server restart.
/// </summary>
public sealed class EventStreamFallbackTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    private const string BlockWebSocket = "window.WebSocket = function WebSocket() { throw new Error('WebSockets are blocked on this page'); };";

    [Fact]
    public Task BlockedWebSocket_FallsBackToTheEventStream_AndResumesInOrderAfterAServerRestart() => RunAsync(async () =>
    {
        var data = Path.Combine(Path.GetTempPath(), "notifypush-browser-sse", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        // One SQLite file for both processes of the "restart": the second server finds the first one's stream.
        var settings = new Dictionary<string, string?> { ["NotifyPush:Store:ConnectionString"] = $"Data Source={Path.Combine(data, "notifypush.db")}" };
        const string user = "sse-fallback";
        var first = new NotifyPushTestServer(settings, environment: "Development");
        NotifyPushTestServer? second = null;
        try
        {
            await Context.AddInitScriptAsync(BlockWebSocket);
            var tab = await DemoPage.OpenAsync(Context, first, user);
            Assert.Equal("sse", await tab.Page.Locator("#transport").GetAttributeAsync("data-transport"));
            Assert.Equal("sse", await tab.Page.EvaluateAsync<string>("() => window.notifypushDemo.client.transport"));
            var connection = Assert.Single(first.GetService<ConnectionRegistry>().GetConnections(user).ToArray());
            Assert.Equal("sse", connection.Transport);

            using (var service = first.CreateServiceClient())
            {
                var burst = new List<long>();
                for (var i = 1; i <= 5; i++)
                {
                    burst.AddRange((await ServiceApi.SendAsync(service, user, "sse.before", new { n = i })).Select(n => n.Seq));
                }

                await tab.AssertSeqsAsync([.. burst]);
            }

            // The restart: the first process drains (close event 1012) and stops; a new one takes its port and store.
            var port = first.BaseAddress.Port;
            first.Dispose();
            second = new NotifyPushTestServer(settings, environment: "Development", port: port);
            using (var service = second.CreateServiceClient())
            {
                var after = new List<long>();
                for (var i = 1; i <= 3; i++)
                {
                    after.AddRange((await ServiceApi.SendAsync(service, user, "sse.after", new { n = i })).Select(n => n.Seq));
                }

                Assert.Equal([6L, 7L, 8L], after);
                await tab.WaitForStateAsync("live");
                await tab.AssertSeqsAsync(1, 2, 3, 4, 5, 6, 7, 8);
            }

            // One stream before the restart, one after: the page's failed attempts while no server listened are no connections.
            Assert.Equal(2, await tab.ConnectsAsync());
            var resumed = Assert.Single(second.GetService<ConnectionRegistry>().GetConnections(user).ToArray());
            Assert.Equal("sse", resumed.Transport);
        }
        finally
        {
            first.Dispose();
            second?.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    });
}
