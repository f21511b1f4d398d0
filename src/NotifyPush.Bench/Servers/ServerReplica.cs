using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using NotifyPush.Bench.Measurement;
using NotifyPush.Testing;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// One NotifyPush replica: a child process the bench started (Production, configured by environment variables, as
/// a deployment would), or a running one it attached to. Reads its RSS and sockets from <c>/proc</c> and <c>/readyz</c>.
/// </summary>
internal sealed partial class ServerReplica : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    // The start of the output is kept for error messages; a server under load may log a lot.
    private const int OutputLines = 1000;

    private readonly ChildProcess? _process;

    private ServerReplica(Uri baseAddress, int? pid, ChildProcess? process, IReadOnlyDictionary<string, string> environment, string socketPath = "/ws")
    {
        BaseAddress = baseAddress;
        SocketPath = socketPath;
        Pid = pid;
        _process = process;
        Environment = environment;
    }

    public Uri BaseAddress { get; }

    public int? Pid { get; }

    /// <summary>The settings the replica was started with (secrets left out).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>Where sockets connect: <c>/ws</c>, or a peer's own path.</summary>
    public string SocketPath { get; }

    public Uri SocketEndpoint => new UriBuilder(BaseAddress) { Scheme = "ws", Path = SocketPath }.Uri;

    /// <summary>NotifyPush's Server-Sent Events stream (<c>GET /sse</c>).</summary>
    public Uri EventStreamEndpoint => new UriBuilder(BaseAddress) { Path = "/sse" }.Uri;

    public long PeakRssKb { get; private set; }

    public static ServerReplica Attach(Uri baseAddress, int? pid, string socketPath) =>
        new(baseAddress, pid, null, new Dictionary<string, string>(), socketPath);

    /// <summary>The launch of a NotifyPush replica: <paramref name="serverDll"/> on <paramref name="port"/> (0: one the kernel picks).</summary>
    public static ServerLaunch NotifyPushLaunch(string serverDll, int port = 0) =>
        new("dotnet", [serverDll, "--urls", $"http://127.0.0.1:{port}"], Path.GetDirectoryName(serverDll)!);

    /// <summary>
    /// Starts a server (NotifyPush or a peer node) and returns once it printed Kestrel's
    /// <c>Now listening on: http://…</c> line, which the peers print too.
    /// </summary>
    public static async Task<ServerReplica> StartAsync(ServerLaunch launch, IReadOnlyDictionary<string, string> environment, string socketPath, CancellationToken cancellationToken)
    {
        var shown = environment.Where(e => !e.Key.Contains("SigningKey", StringComparison.Ordinal) && !e.Key.Contains("Sha256", StringComparison.Ordinal) && !e.Key.EndsWith("_KEY", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        var process = ChildProcess.Start(Path.GetFileName(launch.FileName), launch.FileName, launch.Arguments, launch.WorkingDirectory, environment, inheritSettings: true, outputLimit: OutputLines);
        try
        {
            var listening = await process.WaitForOutputAsync(ListeningLine(), StartTimeout).WaitAsync(cancellationToken).ConfigureAwait(false);
            return new ServerReplica(new Uri(listening.Groups[1].Value + "/"), process.Id, process, shown, socketPath);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or OperationCanceledException)
        {
            var output = process.Output;
            await process.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The server did not start: {ex.Message}\n{output}", ex);
        }
    }

    /// <summary>RSS, threads and (with <paramref name="countSockets"/>) socket descriptors now; null when the process is unknown or gone.</summary>
    public ProcessSample? Sample(bool countSockets = true)
    {
        if (Pid is not { } pid)
        {
            return null;
        }

        var sample = ProcessStats.Read(pid, countSockets);
        if (sample is not null && sample.RssKb > PeakRssKb)
        {
            PeakRssKb = sample.RssKb;
        }

        return sample;
    }

    /// <summary>CPU seconds the process has used so far; null when the process is unknown or gone.</summary>
    public double? CpuSeconds() => Pid is { } pid ? ProcessStats.CpuSeconds(pid) : null;

    /// <summary>The replica's open sockets as <c>/readyz</c> reports them; null when it does not answer.</summary>
    public async Task<int?> ReadConnectionsAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(BaseAddress, "readyz"), cancellationToken).ConfigureAwait(false);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            return json.RootElement.GetProperty("connections").GetInt32();
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Waits until <c>/readyz</c> answers 200.</summary>
    public Task WaitReadyAsync(HttpClient http, CancellationToken cancellationToken) =>
        Poll.UntilAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(BaseAddress, "readyz"), cancellationToken).ConfigureAwait(false);
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false; // Not listening yet.
                }
            },
            $"{BaseAddress} is ready",
            StartTimeout).WaitAsync(cancellationToken);

    /// <summary>Stops a started replica: SIGTERM (it drains), then SIGKILL after a few seconds. Attached ones are left alone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                await _process.SignalAsync("TERM").ConfigureAwait(false);
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            // WaitForExitAsync killed it.
        }

        await _process.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Kills a started replica at once (deadline, or the bench exiting).</summary>
    public void Kill() => _process?.Kill();

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();
}
