using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>
/// Base of the browser tests: a fresh browser context (its own storage, cookies and network state) per test on the
/// collection's shared Chromium, every page's console kept for the test log, screenshots when a test fails.
/// </summary>
[Collection(BrowserCollection.Name)]
public abstract class BrowserTest(ChromiumFixture chromium, ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Upper bound of every single wait in a browser test: generous, for a loaded two-core machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly List<string> _console = [];
    private readonly List<NotifyPushTestServer> _servers = [];
    private IBrowserContext? _context;

    protected ITestOutputHelper Output { get; } = output;

    protected IBrowserContext Context => _context ?? throw new InvalidOperationException("The context is not open.");

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);
        _context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        _context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        _context.Page += (_, page) =>
        {
            var name = $"page {_context.Pages.Count}";
            page.Console += (_, message) => Record($"{name} console.{message.Type}: {message.Text}");
            page.PageError += (_, error) => Record($"{name} error: {error}");
        };
    }

    public async Task DisposeAsync()
    {
        // The browser goes first, so its tabs do not retry against a server that is shutting down.
        if (_context is not null)
        {
            await _context.CloseAsync();
        }

        foreach (var server in _servers)
        {
            server.Dispose();
        }

        lock (_console)
        {
            foreach (var line in _console)
            {
                Output.WriteLine(line);
            }
        }
    }

    /// <summary>
    /// Starts a Development test server (<see cref="DemoServer"/>) that lives until the test's browser context is
    /// closed, so a failing test's screenshots still show pages talking to a running server.
    /// </summary>
    protected NotifyPushTestServer StartServer(IDictionary<string, string?>? settings = null)
    {
        var server = DemoServer.Start(settings);
        _servers.Add(server);
        return server;
    }

    /// <summary>Runs a test body; when it fails, keeps a screenshot of each open page before the failure is reported.</summary>
    protected async Task RunAsync(Func<Task> body, [CallerMemberName] string test = "")
    {
        try
        {
            await body();
        }
        catch
        {
            await CaptureAsync($"{GetType().Name}.{test}.failure");
            throw;
        }
    }

    /// <summary>Saves a full-page screenshot of every open page of the context as <c>{name}-{n}.png</c> in the artifacts folder.</summary>
    protected async Task<IReadOnlyList<string>> CaptureAsync(string name)
    {
        var files = new List<string>();
        var pages = Context.Pages;
        for (var i = 0; i < pages.Count; i++)
        {
            var path = Artifacts.PathFor(pages.Count == 1 ? $"{name}.png" : $"{name}-{i + 1}.png");
            try
            {
                await pages[i].ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Timeout = 15_000 });
                files.Add(path);
                Output.WriteLine($"screenshot: {path}");
            }
            catch (PlaywrightException exception)
            {
                Output.WriteLine($"screenshot of page {i + 1} failed: {exception.Message}");
            }
        }

        return files;
    }

    private void Record(string line)
    {
        lock (_console)
        {
            _console.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
    }
}
