
namespace NotifyPush.Client.Tests.Infrastructure;

/// <summary>One default test server (SQLite, no rate limit) shared by a test class; each test uses its own user ids.</summary>
public sealed class ServerFixture : IDisposable
{
    public NotifyPushTestServer Server { get; } = new();

    public void Dispose() => Server.Dispose();
}
