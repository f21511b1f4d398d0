using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace NotifyPush.Server.Tests.Topology;

/// <summary>
/// One NotifyPush replica as operators run it: the published <c>NotifyPush.Server.dll</c> under <c>dotnet</c>, in
/// its own process, configured by environment variables only, on a port Kestrel picks.
/// </summary>
public sealed partial class ReplicaProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private ReplicaProcess(ChildProcess process, Uri baseAddress)
    {
        Process = process;
        BaseAddress = baseAddress;
    }

    public ChildProcess Process { get; }

    public string Name => Process.Name;

    /// <summary>Where Kestrel listens, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary><c>host:port</c> for the load balancer's upstream list.</summary>
    public string Endpoint => $"{BaseAddress.Host}:{BaseAddress.Port}";

    /// <summary>Starts the replica and waits until it listens and <c>/readyz</c> answers 200.</summary>
    public static async Task<ReplicaProcess> StartAsync(string name, string dotnet, string appDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var settings = new Dictionary<string, string>(environment) { ["ASPNETCORE_URLS"] = "http://127.0.0.1:0" };
        var process = ChildProcess.Start(name, dotnet, ["NotifyPush.Server.dll"], appDirectory, settings);
        try
        {
            var listening = await process.WaitForOutputAsync(ListeningLine(), timeout);
            var replica = new ReplicaProcess(process, new Uri(listening.Groups["url"].Value));
            await replica.WaitUntilReadyAsync(timeout);
            return replica;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
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
            using var response = await Http.GetAsync(new Uri(BaseAddress, "/readyz"));
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

    public ValueTask DisposeAsync() => Process.DisposeAsync();

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline && !Process.HasExited)
        {
            try
            {
                using var response = await Http.GetAsync(new Uri(BaseAddress, "/readyz"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                last = ex.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Name} at {BaseAddress} did not become ready within {timeout.TotalSeconds} s (last: {last}). Output:\n{Process.Output}");
    }

    // Kestrel's start-up line from Microsoft.Hosting.Lifetime.
    [GeneratedRegex(@"Now listening on: (?<url>http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
