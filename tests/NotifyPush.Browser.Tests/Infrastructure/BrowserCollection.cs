namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>
/// Every browser test shares one Chromium and runs one after the other: a browser and a server per test in parallel
/// would starve a small CI machine and turn timing into flakiness.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Browser";
}
