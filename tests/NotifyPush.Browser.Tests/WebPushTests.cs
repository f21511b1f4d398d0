using System.Text.Json;
using Microsoft.Playwright;
using NotifyPush.Browser.Tests.Infrastructure;
using NotifyPush.Core.Storage;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests;

/// <summary>
/// Web Push in a real Chromium, on a page of the server's own origin: the helper registers notifypush-sw.js, and what
/// the browser allows without a network decides the rest. Chromium subscribes through its push service (FCM), which a
/// machine without Internet access cannot reach: the helper must then say so (subscribe-failed), never pretend. The
/// worker's own half is driven through the DevTools protocol, which delivers a push to it as the push service would.
/// </summary>
public sealed class WebPushTests(ChromiumFixture chromium, ITestOutputHelper output) : BrowserTest(chromium, output)
{
    private NotifyPushTestServer StartWebPushServer()
    {
        // The production host list: whatever endpoint Chromium gets must be one the server accepts as it is.
        var settings = VapidKeyPair.Create().Settings();
        settings.Remove("NotifyPush:WebPush:AllowedEndpointHosts:0");
        settings.Remove("NotifyPush:WebPush:AllowInsecureEndpoints");
        return StartServer(settings);
    }

    private async Task<IPage> OpenPageAsync(NotifyPushTestServer server)
    {
        await Context.GrantPermissionsAsync(["notifications"], new BrowserContextGrantPermissionsOptions { Origin = server.BaseAddress.GetLeftPart(UriPartial.Authority) });
        var page = await Context.NewPageAsync();
        await page.GotoAsync(new Uri(server.BaseAddress, "/").ToString());
        return page;
    }

    [Fact]
    public Task EnableWebPush_RegistersTheWorker_AndEitherSavesTheSubscriptionOrSaysWhyTheBrowserCouldNot() => RunAsync(async () =>
    {
        var server = StartWebPushServer();
        var page = await OpenPageAsync(server);
        var user = $"push-{Guid.NewGuid():N}";

        var outcome = await page.EvaluateAsync<JsonElement>(
            """
            async (token) => {
              const { enableWebPush, WebPushError } = await import('/notifypush.js');
              try {
                const saved = await enableWebPush({ getToken: () => token });
                return { ok: true, endpoint: saved.endpoint };
              } catch (error) {
                return { ok: false, isWebPushError: error instanceof WebPushError, code: error.code, message: error.message,
                         cause: error.cause ? `${error.cause.name}: ${error.cause.message}` : null };
              } finally {
                const registration = await navigator.serviceWorker.getRegistration();
                globalThis.workerUrl = registration?.active?.scriptURL ?? registration?.installing?.scriptURL ?? registration?.waiting?.scriptURL ?? null;
              }
            }
            """,
            NotifyPushTestServer.UserToken(user));
        Output.WriteLine($"enableWebPush in Chromium: {outcome}");

        Assert.EndsWith("/notifypush-sw.js", await page.EvaluateAsync<string>("() => globalThis.workerUrl"), StringComparison.Ordinal);
        var saved = await server.GetService<IWebPushStore>().GetPushSubscriptionsAsync(user, CancellationToken.None);
        if (outcome.GetProperty("ok").GetBoolean())
        {
            // A browser that reached its push service: the server holds exactly what it answered.
            Assert.Equal(outcome.GetProperty("endpoint").GetString(), Assert.Single(saved).Endpoint);
        }
        else
        {
            // Offline, or no push service in this build: the browser's refusal, surfaced as such, and nothing saved.
            Assert.True(outcome.GetProperty("isWebPushError").GetBoolean(), outcome.ToString());
            Assert.Equal("subscribe-failed", outcome.GetProperty("code").GetString());
            Assert.Contains("could not subscribe", outcome.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(outcome.GetProperty("cause").GetString()), "the browser's own error is kept as the cause");
            Assert.Empty(saved);
        }
    });

    [Fact]
    public Task Worker_ShowsAPushTaggedWithTheNotificationId() => RunAsync(async () =>
    {
        var server = StartWebPushServer();
        var page = await OpenPageAsync(server);
        await page.EvaluateAsync("async () => { await navigator.serviceWorker.register('/notifypush-sw.js'); await navigator.serviceWorker.ready; }");

        var session = await Context.NewCDPSessionAsync(page);
        var registration = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var scope = new Uri(server.BaseAddress, "/").ToString();
        session.Event("ServiceWorker.workerRegistrationUpdated").OnEvent += (_, update) =>
        {
            foreach (var item in update!.Value.GetProperty("registrations").EnumerateArray())
            {
                if (item.GetProperty("scopeURL").GetString() == scope && !item.GetProperty("isDeleted").GetBoolean())
                {
                    registration.TrySetResult(item.GetProperty("registrationId").GetString()!);
                }
            }
        };
        await session.SendAsync("ServiceWorker.enable");
        var registrationId = await registration.Task.WaitAsync(Timeout);

        var id = Guid.NewGuid().ToString();
        var message = JsonSerializer.Serialize(new { type = "order.shipped", seq = 3, id, title = "Order shipped", body = "Order 42 is on its way", url = "/orders/42" });
        await session.SendAsync("ServiceWorker.deliverPushMessage", new Dictionary<string, object>
        {
            ["origin"] = server.BaseAddress.GetLeftPart(UriPartial.Authority),
            ["registrationId"] = registrationId,
            ["data"] = message,
        });

        var shown = await Poll.UntilAsync(
            () => page.EvaluateAsync<JsonElement>("async () => (await (await navigator.serviceWorker.ready).getNotifications()).map(n => ({ title: n.title, body: n.body, tag: n.tag, url: n.data?.url, seq: n.data?.seq }))"),
            notifications => notifications.GetArrayLength() == 1,
            "the worker showed the push",
            Timeout);
        var notification = shown[0];
        Assert.Equal("Order shipped", notification.GetProperty("title").GetString());
        Assert.Equal("Order 42 is on its way", notification.GetProperty("body").GetString());
        Assert.Equal(id, notification.GetProperty("tag").GetString());
        Assert.Equal("/orders/42", notification.GetProperty("url").GetString());
        Assert.Equal(3, notification.GetProperty("seq").GetInt32());
    });
}
