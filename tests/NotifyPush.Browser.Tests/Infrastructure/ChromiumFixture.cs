using Microsoft.Playwright;

namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>
/// One headless Debian Chromium for a whole test collection, driven by Playwright. The browser is the one the test
/// script installs and names in <c>NOTIFYPUSH_TEST_CHROMIUM</c>; Playwright never downloads one of its own.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutableVariable = "NOTIFYPUSH_TEST_CHROMIUM";

    // No sandbox: the tests run as root in CI. No QUIC, background networking, component updates or sync: the
    // browser talks to the test server and nothing else.
    private static readonly string[] LaunchArgs =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not been launched.");

    public async Task InitializeAsync()
    {
        var executable = ResolveExecutable();
        _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = LaunchArgs,
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    /// <summary>The Chromium executable from the environment; a missing or wrong path fails every browser test.</summary>
    private static string ResolveExecutable()
    {
        var path = Environment.GetEnvironmentVariable(ExecutableVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new InvalidOperationException(
                $"{ExecutableVariable} is not set. The browser tests drive Debian's Chromium and never download a browser: " +
                "run them through `bash scripts/test.sh` (it installs the chromium package when missing and sets the variable), " +
                $"or set {ExecutableVariable} to a Chromium executable such as /usr/bin/chromium.");
        }

        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{ExecutableVariable}={path}, but there is no such file. Install Chromium (Debian: apt-get install chromium) " +
                "or point the variable at its executable.");
        }

        return path;
    }
}
