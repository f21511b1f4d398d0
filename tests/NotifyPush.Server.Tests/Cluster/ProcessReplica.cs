using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// A replica running as a child process (<c>dotnet NotifyPush.Server.dll</c>, configured by environment variables
/// as a deployment would be), so a test can kill it the way a crash or an OOM kill does: no drain, no close frames,
/// the kernel just drops its connections.
/// </summary>
public sealed partial class ProcessReplica : ClusterReplica
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly Uri _baseAddress;

    private ProcessReplica(string name, Process process, StringBuilder output, Uri baseAddress)
        : base(name)
    {
        _process = process;
        _output = output;
        _baseAddress = baseAddress;
        // Should the test run end without disposing it (a crash of the runner is beyond help), no server is left behind.
        AppDomain.CurrentDomain.ProcessExit += OnTestProcessExit;
        CreateApiClient();
    }

    public override Uri BaseAddress => _baseAddress;

    /// <summary>The server process's id, to read its memory from <c>/proc</c>.</summary>
    public int ProcessId => _process.Id;

    /// <summary>What the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the server from this test's output folder on a free port and returns once it listens.</summary>
    internal static async Task<ProcessReplica> StartAsync(string name, IDictionary<string, string?> settings)
    {
        var directory = AppContext.BaseDirectory;
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(directory, "NotifyPush.Server.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        // The "Now listening on" line is how the test learns the port Kestrel chose.
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";

        var output = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("The server process exited before it listened."));
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {start.FileName}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(StartTimeout);
            return new ProcessReplica(name, process, output, address);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            KillQuietly(process);
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            throw new InvalidOperationException($"Replica {name} did not start: {ex.Message}\n{text}", ex);
        }

        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            if (ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }
    }

    /// <summary>
    /// Kills the process (SIGKILL) and waits until it is gone. It stays in rotation, as a crashed replica stays in a
    /// load balancer's pool until a health check notices; the test takes it out when it decides that happened.
    /// </summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync().WaitAsync(ExitTimeout);
    }

    public override async ValueTask DisposeAsync()
    {
        InRotation = false;
        await KillAsync();
        AppDomain.CurrentDomain.ProcessExit -= OnTestProcessExit;
        _process.Dispose();
        DisposeApiClient();
    }

    private void OnTestProcessExit(object? sender, EventArgs e)
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited already.
        }
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        process.Dispose();
    }

    /// <summary>The dotnet host running these tests, so the child uses the same runtime.</summary>
    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    // The address ends at white space, or at the quote closing the message when the console writes JSON.
    [GeneratedRegex(@"Now listening on: (http://[^\s""]+)")]
    private static partial Regex ListeningLine();
}
