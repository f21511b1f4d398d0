using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Examples;

/// <summary>
/// The backend examples in examples/ (Node, Python, Go; each with its standard library only) run against a real server
/// configured with an HS256 signing key and an API key: the token each one mints opens a socket, and the notification
/// each one sends is replayed on it. The runtimes are node, python3 and go on the PATH (scripts/test.sh installs
/// missing ones on Debian); a missing runtime fails the test.
/// </summary>
public sealed class BackendExampleTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);
    private readonly NotifyPushTestServer _server = new();

    public void Dispose() => _server.Dispose();

    [Theory]
    [InlineData("node", "node", "examples/node", new[] { "notifypush-backend.mjs" })]
    [InlineData("python", "python3", "examples/python", new[] { "notifypush_backend.py" })]
    [InlineData("go", "go", "examples/go", new[] { "run", "." })]
    public async Task Example_MintsATokenTheServerAccepts_AndSendsANotificationItReceives(string from, string runtime, string folder, string[] arguments)
    {
        var user = $"example-{from}-{Guid.NewGuid():N}";
        var output = await RunAsync(runtime, RepositoryFiles.PathOf(folder), [.. arguments, user]);

        using var result = JsonDocument.Parse(output);
        var token = result.RootElement.GetProperty("token").GetString();
        Assert.False(string.IsNullOrEmpty(token));
        var sent = result.RootElement.GetProperty("sent").GetProperty("notifications")[0];
        Assert.Equal(user, sent.GetProperty("userId").GetString());
        var seq = sent.GetProperty("seq").GetInt64();

        await using var socket = await TestSocket.ConnectAsync(_server.SocketUri($"access_token={Uri.EscapeDataString(token!)}"));
        var welcome = await socket.NextAsync();
        Assert.Equal("welcome", welcome.GetProperty("type").GetString());
        Assert.Equal(user, welcome.GetProperty("userId").GetString());
        var (replayed, _) = await socket.ReadUntilSyncedAsync();
        var notification = Assert.Single(replayed);
        Assert.Equal(seq, notification.GetProperty("seq").GetInt64());
        Assert.Equal("example.greeting", notification.GetProperty("event").GetString());
        Assert.Equal(from, notification.GetProperty("payload").GetProperty("from").GetString());
    }

    private async Task<string> RunAsync(string runtime, string folder, string[] arguments)
    {
        var executable = FindOnPath(runtime)
            ?? throw new InvalidOperationException($"{runtime} is not on the PATH; the example tests need it (Debian: scripts/test.sh installs it).");
        var environment = new Dictionary<string, string>
        {
            ["NOTIFYPUSH_URL"] = _server.BaseAddress.ToString(),
            ["NOTIFYPUSH_SIGNING_KEY"] = NotifyPushTestServer.SigningKey,
            ["NOTIFYPUSH_ISSUER"] = NotifyPushTestServer.Issuer,
            ["NOTIFYPUSH_AUDIENCE"] = NotifyPushTestServer.Audience,
            ["NOTIFYPUSH_API_KEY"] = NotifyPushTestServer.ApiKey,
            // Go: nothing from the network (the example needs no module), a build cache that outlives the test.
            ["GOPROXY"] = "off",
            ["GOFLAGS"] = "-mod=mod",
            ["GOTOOLCHAIN"] = "local",
            ["GOCACHE"] = Path.Combine(Path.GetTempPath(), "notifypush-tests-go-build"),
        };

        await using var process = ChildProcess.Start($"{runtime} {string.Join(' ', arguments)}", executable, arguments, folder, environment);
        var exitCode = await process.WaitForExitAsync(RunTimeout);
        Assert.True(exitCode == 0, $"{runtime} {string.Join(' ', arguments)} exited with {exitCode}: {process.Output}");
        return process.StandardOutput.Trim();
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
}
