using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>
/// A second origin: a minimal Kestrel site on its own port of 127.0.0.1 serving one page at <c>/</c>, as a front end
/// hosted apart from NotifyPush would be. Dispose it to stop it.
/// </summary>
public sealed class CrossOriginSite : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CrossOriginSite(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The site's address, e.g. <c>http://127.0.0.1:40125/</c>: another origin than any test server's.</summary>
    public Uri BaseAddress { get; }

    public static async Task<CrossOriginSite> StartAsync(string html)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/", () => Results.Content(html, "text/html; charset=utf-8"));
        await app.StartAsync().WaitAsync(BrowserTest.Timeout);

        // Kestrel reports the port it bound in place of 0.
        return new CrossOriginSite(app, new Uri(app.Urls.Single()));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
