using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace NotifyPush.Testing;

/// <summary>
/// A NotifyPush replica as operators run it: <c>dotnet NotifyPush.Server.dll</c> in its own process, configured by
/// environment variables only, on a port Kestrel picks. A test can kill it the way a crash or an OOM kill does (no
/// drain, no close frames, the kernel just drops its connections) or stop it as an orchestrator does (SIGTERM).
/// </summary>
public sealed partial class ProcessReplica : ClusterReplica
{
    /// <summary>How long a replica may take to listen (and, when asked, to be ready) unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Uri _baseAddress;

    private ProcessReplica(ChildProcess process, Uri baseAddress)
        : base(process.Name)
    {
        Process = process;
        _baseAddress = baseAddress;
        CreateApiClient();
    }

    public override Uri BaseAddress => _baseAddress;

    /// <summary>The server process: its output, exit code and signals.</summary>
    public ChildProcess Process { get; }

    /// <summary>The server process's id, to read its memory from <c>/proc</c>.</summary>
    public int ProcessId => Process.Id;

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public string Output => Process.Output;

    /// <summary><c>host:port</c> for a load balancer's upstream list.</summary>
    public string Endpoint => $"{BaseAddress.Host}:{BaseAddress.Port}";

    /// <summary>
    /// Starts the server on a free port and returns once it listens (and, with <paramref name="waitUntilReady"/>, once
    /// <c>/readyz</c> answers 200).
    /// </summary>
    /// <param name="settings">Configuration keys (<c>NotifyPush:Store:Provider</c> or <c>NotifyPush__Store__Provider</c>), passed as environment variables.</param>
    /// <param name="appDirectory">The folder holding <c>NotifyPush.Server.dll</c>: this test's output folder unless a published one is given.</param>
    public static async Task<ProcessReplica> StartAsync(string name, IEnumerable<KeyValuePair<string, string?>> settings, string? appDirectory = null, bool waitUntilReady = false, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultStartTimeout;
        var directory = appDirectory ?? AppContext.BaseDirectory;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? string.Empty;
        }

        // The "Now listening on" line is how the test learns the port Kestrel chose.
        environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";

        var process = ChildProcess.Start(name, ChildProcess.DotnetHost(), [Path.Combine(directory, "NotifyPush.Server.dll"), "--urls", "http://127.0.0.1:0"], directory, environment);
        try
        {
            var listening = await process.WaitForOutputAsync(ListeningLine(), limit);
            var replica = new ProcessReplica(process, new Uri(listening.Groups["url"].Value));
            if (waitUntilReady)
            {
                await replica.WaitUntilReadyAsync(limit);
            }

            return replica;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            await process.DisposeAsync();
            throw new InvalidOperationException($"Replica {name} did not start: {ex.Message}", ex);
        }
    }

    /// <summary>Open sockets on this replica, from <c>/readyz</c>; null when it does not answer.</summary>
    public async Task<int?> GetConnectionCountAsync()
    {
        if (Process.HasExited)
        {
            return null;
        }

        try
        {
            using var response = await Probe.GetAsync(new Uri(BaseAddress, "/readyz"));
            var report = await response.Content.ReadFromJsonAsync<JsonElement>();
            return report.GetProperty("connections").GetInt32();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Graceful stop, as an orchestrator does it: SIGTERM, then the replica drains and exits.</summary>
    public Task TerminateAsync() => Process.SignalAsync("TERM");

    /// <summary>A crash: SIGKILL, no drain, no close frames.</summary>
    public void Kill() => Process.Kill();

    /// <summary>
    /// Kills the process (SIGKILL) and waits until it is gone. It stays in rotation, as a crashed replica stays in a
    /// load balancer's pool until a health check notices; the test takes it out when it decides that happened.
    /// </summary>
    public Task KillAsync() => Process.KillAsync(ExitTimeout);

    public override async ValueTask DisposeAsync()
    {
        InRotation = false;
        await Process.DisposeAsync();
        DisposeApiClient();
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var seen = await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    using var response = await Probe.GetAsync(new Uri(BaseAddress, "/readyz"));
                    return (Exited: Process.HasExited, Last: response.StatusCode == HttpStatusCode.OK ? null : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return (Exited: Process.HasExited, Last: ex.Message);
                }
            },
            state => state.Last is null || state.Exited,
            $"{Name} at {BaseAddress} answers /readyz with 200",
            timeout,
            state => $"{state.Last}; output:\n{Process.Output}");
        if (seen.Last is not null)
        {
            throw new InvalidOperationException($"{Name} exited before it was ready. Output:\n{Process.Output}");
        }
    }

    // The address ends at white space, or at the quote closing the message when the console writes JSON.
    [GeneratedRegex(@"Now listening on: (?<url>http://[^\s""]+)")]
    private static partial Regex ListeningLine();
}
