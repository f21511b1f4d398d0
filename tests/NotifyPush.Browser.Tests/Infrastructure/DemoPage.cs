using System.Text.Json;
using Microsoft.Playwright;

namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>The demo page in one tab, read through the ids and data attributes the page keeps stable for tests.</summary>
public sealed class DemoPage(IPage page)
{
    public IPage Page => page;

    /// <summary>
    /// The page's address for a user with a short reconnect backoff (tests wait for reconnects) and any further query
    /// options, e.g. <c>shared=1</c> or <c>lifetime=30</c>.
    /// </summary>
    public static string PathFor(string userId, string? options = null) =>
        $"/?user={Uri.EscapeDataString(userId)}&backoff=200&backoffMax=2000" + (string.IsNullOrEmpty(options) ? "" : "&" + options);

    /// <summary>Opens the demo page signed in as <paramref name="userId"/> in a new tab and waits until its client is live.</summary>
    public static async Task<DemoPage> OpenAsync(IBrowserContext context, NotifyPushTestServer server, string userId, string? options = null)
    {
        var demo = new DemoPage(await context.NewPageAsync());
        await demo.GotoAsync(server, userId, options);
        return demo;
    }

    /// <summary>Navigates this tab to the demo page and waits until its client is live.</summary>
    public async Task GotoAsync(NotifyPushTestServer server, string userId, string? options = null)
    {
        await page.GotoAsync(new Uri(server.BaseAddress, PathFor(userId, options)).ToString());
        await WaitForStateAsync("live");
    }

    public ILocator State => page.Locator("#state");

    public ILocator Items => page.Locator("#list li");

    public ILocator Item(long seq) => page.Locator($"#list li[data-seq=\"{seq}\"]");

    public Task WaitForStateAsync(string state) => Assertions.Expect(State).ToHaveAttributeAsync("data-state", state);

    public Task WaitForRoleAsync(string role) => Assertions.Expect(page.Locator("#role")).ToHaveTextAsync(role);

    public async Task<string> StateAsync() => await State.GetAttributeAsync("data-state") ?? "";

    public Task<long[]> SeqsAsync() => Items.EvaluateAllAsync<long[]>("items => items.map(li => Number(li.dataset.seq))");

    public Task<long[]> ReplayedSeqsAsync() =>
        page.Locator("#list li[data-replayed]").EvaluateAllAsync<long[]>("items => items.map(li => Number(li.dataset.seq))");

    /// <summary>The connection id of the last <c>connected</c> event, or null before one.</summary>
    public Task<string?> ConnectionIdAsync() => page.Locator("#connection-id").GetAttributeAsync("data-connection-id");

    /// <summary>How many sockets this tab's client has opened (its <c>connected</c> events).</summary>
    public async Task<int> ConnectsAsync() => int.Parse(await page.Locator("#connects").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How many tokens the page fetched from <c>POST /dev/token</c>.</summary>
    public async Task<int> TokensAsync() => int.Parse(await page.Locator("#tokens").InnerTextAsync(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>When the last fetched token expires.</summary>
    public async Task<DateTimeOffset> TokenExpiresAtAsync() =>
        DateTimeOffset.Parse(await page.Locator("#token-expires").GetAttributeAsync("data-expires-at") ?? throw new InvalidOperationException("No token fetched yet."), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Waits until the list holds <paramref name="expected"/>.Count notifications, then asserts it holds exactly these
    /// seqs in this order: an extra or repeated one fails at once instead of being waited away.
    /// </summary>
    public async Task AssertSeqsAsync(params long[] expected)
    {
        try
        {
            await page.WaitForFunctionAsync(
                "count => document.querySelectorAll('#list li').length >= count",
                expected.Length,
                new PageWaitForFunctionOptions { PollingInterval = 100, Timeout = (float)BrowserTest.Timeout.TotalMilliseconds });
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The page did not show {expected.Length} notifications within {BrowserTest.Timeout.TotalSeconds} s; it shows [{string.Join(", ", await SeqsAsync())}], state {await StateAsync()}.");
        }

        Assert.Equal(expected, await SeqsAsync());
        await AssertDeliveryChecksAsync();
    }

    /// <summary>The page's own counters of duplicates and out-of-order notifications are both zero.</summary>
    public async Task AssertDeliveryChecksAsync()
    {
        Assert.Equal("0", await page.Locator("#duplicates").InnerTextAsync());
        Assert.Equal("0", await page.Locator("#out-of-order").InnerTextAsync());
    }

    /// <summary>The payload shown for a notification, parsed.</summary>
    public async Task<JsonElement> PayloadAsync(long seq)
    {
        using var document = JsonDocument.Parse(await Item(seq).Locator(".payload").InnerTextAsync());
        return document.RootElement.Clone();
    }
}
