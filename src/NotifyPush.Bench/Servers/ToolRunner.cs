using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// Runs the command-line tools the scale scenario's servers need (redis-cli, initdb, pg_ctl, pg_basebackup) and finds
/// free loopback ports. As root, the PostgreSQL tools run as the <c>postgres</c> user (<c>runuser</c>): PostgreSQL
/// refuses to run as root, and the test launchers do the same.
/// </summary>
internal static class ToolRunner
{
    /// <summary>Runs <paramref name="program"/> and returns its standard output; throws with its output when it fails or hangs.</summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, bool asPostgres = false)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && Environment.IsPrivilegedProcess)
        {
            start.FileName = "runuser";
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("postgres");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(program);
        }
        else
        {
            start.FileName = program;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (stdout) { stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds} s.");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', start.ArgumentList)} failed with exit code {process.ExitCode}: {stderr}{stdout}");
        }

        lock (stdout)
        {
            return stdout.ToString();
        }
    }

    /// <summary>Starts a long-running server process with its output discarded (it is read so the pipe never fills).</summary>
    public static Process StartServer(string program, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Kills a process the run started (SIGKILL, as a crash) and waits for it; nothing when it is gone already.</summary>
    public static async Task KillAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            // Gone already, or not ours to wait for any more.
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 200 ms until it holds; throws naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (InvalidOperationException) when (Stopwatch.GetTimestamp() < until)
            {
                // A tool that failed now (a node still starting) may answer on the next poll.
            }

            if (Stopwatch.GetTimestamp() > until)
            {
                throw new InvalidOperationException($"gave up waiting for {what} after {timeout.TotalSeconds} s");
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ports that are free on 127.0.0.1, and when <paramref name="withBusPort"/> their +10000 too (Redis Cluster's bus).</summary>
    public static List<int> FreePorts(int count, bool withBusPort = false)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            var port = Random.Shared.Next(20_000, 50_000);
            if (!ports.Contains(port) && IsFree(port) && (!withBusPort || IsFree(port + 10_000)))
            {
                ports.Add(port);
            }
        }

        return ports;
    }

    /// <summary>A tool's path: from <paramref name="variable"/> when set, else <paramref name="fallback"/> (Debian's); throws naming the package when missing.</summary>
    public static string Executable(string variable, string fallback, string package)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        var path = string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{Path.GetFileName(path)} was not found at '{path}'. Install it (apt-get install {package}) or set {variable}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
