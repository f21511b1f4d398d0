using System.Text.Json;
using Microsoft.Playwright;
using NotifyPush.Browser.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

public sealed class CrossOriginTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    [Fact]
    public Task ClientScript_ImportedByAPageOfAnotherOrigin_ReceivesANotification() => RunAsync(async () =>
    {
        var server = StartServer();
        using var service = server.CreateServiceClient();
        const string user = "cross-origin";
        var origin = server.BaseAddress.GetLeftPart(UriPartial.Authority);

        // The front end's page imports the client from NotifyPush, as a page on another origin must (module scripts
        // are fetched in CORS mode), and authenticates with a token in the query, which needs no Origin check.
        await using var site = await CrossOriginSite.StartAsync($$"""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Another origin</title><link rel="icon" href="data:,"></head>
            <body data-state="idle">
              <ol id="list"></ol>
              <script type="module">
                const notifyPush = {{JsonSerializer.Serialize(origin)}};
                try {
                  const { NotifyPushClient } = await import(notifyPush + '/notifypush.js');
                  const client = new NotifyPushClient({
                    url: notifyPush.replace(/^http/, 'ws') + '/ws',
                    getToken: () => {{JsonSerializer.Serialize(NotifyPushTestServer.UserToken(user))}},
                  });
                  client.on('state', ({ state }) => { document.body.dataset.state = state; });
                  client.on('notification', (n) => {
                    const li = document.createElement('li');
                    li.dataset.seq = n.seq;
                    li.textContent = n.event;
                    document.getElementById('list').append(li);
                  });
                  client.start();
                } catch (error) {
                  document.body.dataset.error = String(error);
                }
              </script>
            </body>
            </html>
            """);
        Assert.NotEqual(origin, site.BaseAddress.GetLeftPart(UriPartial.Authority));

        var page = await Context.NewPageAsync();
        var script = page.WaitForResponseAsync(response => response.Url == origin + "/notifypush.js");
        // A module that notifypush.js imports by relative URL: fetched from NotifyPush in CORS mode too.
        var module = page.WaitForResponseAsync(response => response.Url == origin + "/notifypush-shared.js");
        await page.GotoAsync(site.BaseAddress.ToString());

        // Either way the page settles at once: live, or the import's error (a failed CORS check) in data-error.
        await page.WaitForFunctionAsync("() => document.body.dataset.state === 'live' || document.body.dataset.error !== undefined");
        Assert.Null(await page.Locator("body").GetAttributeAsync("data-error"));
        var served = await script;
        Assert.Equal(200, served.Status);
        Assert.Equal("*", await served.HeaderValueAsync("access-control-allow-origin"));
        var imported = await module;
        Assert.Equal(200, imported.Status);
        Assert.Equal("*", await imported.HeaderValueAsync("access-control-allow-origin"));

        var sent = await ServiceApi.SendAsync(service, user, "cross.origin");
        await Assertions.Expect(page.Locator($"#list li[data-seq=\"{sent[0].Seq}\"]")).ToHaveTextAsync("cross.origin");
        await Assertions.Expect(page.Locator("#list li")).ToHaveCountAsync(1);
    });
}
