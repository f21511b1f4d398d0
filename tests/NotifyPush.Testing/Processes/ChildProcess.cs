using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace NotifyPush.Testing;

/// <summary>
/// The one way the tests and the bench start a process: a server (redis-server, redis-sentinel, postgres, a NotifyPush
/// replica, nginx) or a tool run to its end (redis-cli, initdb, pg_ctl, dotnet publish). Its output is collected line
/// by line (for waiting on a line and for the failure report), it can be sent a signal, and disposing it kills
/// whatever is still running. Should the test run end without disposing it, it is killed on the way out.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>The user PostgreSQL's programs run as when the test runs as root: PostgreSQL refuses to run as root.</summary>
    public const string PostgresUser = "postgres";

    private readonly Process _process;
    private readonly int _outputLimit;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _standardOutput = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string name, Process process, int outputLimit)
    {
        Name = name;
        _process = process;
        _outputLimit = outputLimit;
    }

    /// <summary>A short name for reports, e.g. <c>replica-2</c>.</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Exit code once exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Standard output and error so far, interleaved as they arrived.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Standard output alone so far: what a tool answers, without the warnings it writes to standard error.</summary>
    public string StandardOutput => string.Join('\n', _standardOutput);

    /// <summary>
    /// Starts <paramref name="fileName"/>. The environment is the test's, minus every NotifyPush and ASP.NET Core
    /// setting (unless <paramref name="inheritSettings"/>), plus <paramref name="environment"/>: a child sees exactly
    /// the configuration the test gives it.
    /// </summary>
    /// <param name="asUser">Runs the program as this user through <c>runuser</c> when the test runs as root (see <see cref="PostgresUser"/>).</param>
    /// <param name="inheritSettings">Keep the NotifyPush and ASP.NET Core settings of this process's environment (the bench passes an operator's on).</param>
    /// <param name="outputLimit">How many output lines are kept (the first ones): a server under load may log without end.</param>
    /// <param name="unset">Variables of this process's environment the child must not see (e.g. the test host's MSBuild paths).</param>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null, string? asUser = null, bool inheritSettings = false, int outputLimit = int.MaxValue, IEnumerable<string>? unset = null)
    {
        var info = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        if (asUser is not null && Environment.IsPrivilegedProcess)
        {
            info.FileName = "runuser";
            foreach (var argument in new[] { "-u", asUser, "--", fileName })
            {
                info.ArgumentList.Add(argument);
            }
        }
        else
        {
            info.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in inheritSettings ? [] : info.Environment.Keys.ToList())
        {
            if (key.StartsWith("NotifyPush__", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase))
            {
                info.Environment.Remove(key);
            }
        }

        foreach (var key in unset ?? [])
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, outputLimit);
        process.OutputDataReceived += (_, e) => child.Append(e.Data, standardOutput: true);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data, standardOutput: false);
        process.Exited += (_, _) => child._exited.TrySetResult();
        if (!process.Start())
        {
            throw new InvalidOperationException($"{name}: '{fileName}' did not start.");
        }

        AppDomain.CurrentDomain.ProcessExit += child.OnTestProcessExit;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a process to its end and returns its exit code and output; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string name, string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? asUser = null, IEnumerable<string>? unset = null)
    {
        await using var child = Start(name, fileName, arguments, workingDirectory, environment, asUser, unset: unset);
        var exitCode = await child.WaitForExitAsync(timeout);
        return (exitCode, child.Output);
    }

    /// <summary>
    /// Runs a tool to its end and returns its standard output; throws with all its output when it exits with an error
    /// or does not finish within <paramref name="timeout"/>.
    /// </summary>
    /// <param name="workingDirectory">Where it runs; the temporary folder by default (readable by a user it runs as).</param>
    public static async Task<string> RunCheckedAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? asUser = null, string? workingDirectory = null)
    {
        var list = arguments.ToList();
        var command = $"{Path.GetFileName(fileName)} {string.Join(' ', list)}";
        await using var child = Start(command, fileName, list, workingDirectory ?? Path.GetTempPath(), asUser: asUser);
        int exitCode;
        try
        {
            exitCode = await child.WaitForExitAsync(timeout);
        }
        catch (TimeoutException ex)
        {
            throw new InvalidOperationException($"{command} did not finish within {timeout.TotalSeconds} s.", ex);
        }

        return exitCode == 0
            ? child.StandardOutput
            : throw new InvalidOperationException($"{command} failed with exit code {exitCode}: {child.Output}");
    }

    /// <summary>The dotnet host running these tests, so the child uses the same runtime.</summary>
    public static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    /// <summary>Waits for the first output line matching <paramref name="pattern"/> and returns its match.</summary>
    public async Task<Match> WaitForOutputAsync(Regex pattern, TimeSpan timeout)
    {
        var seen = await Poll.UntilAsync(
            () => (Match: _output.Select(line => pattern.Match(line)).FirstOrDefault(match => match.Success), Exited: HasExited),
            state => state.Match is not null || state.Exited,
            $"{Name} writes a line matching {pattern}",
            timeout,
            _ => $"output:\n{Output}");
        return seen.Match
            ?? throw new InvalidOperationException($"{Name} exited with code {ExitCode} before writing a line matching {pattern}. Output:\n{Output}");
    }

    /// <summary>Waits for the process to exit and returns its exit code; kills it and fails after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds} s and was killed. Output:\n{Output}");
        }

        // Exited fires before the redirected streams are drained; this waits for their end.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends a signal by name (<c>TERM</c>, <c>QUIT</c>, <c>STOP</c>, <c>CONT</c>…) with kill(1): there is no managed API for it.</summary>
    public async Task SignalAsync(string signal)
    {
        var (exitCode, output) = await RunAsync($"kill -{signal} {Name}", "kill", [$"-{signal}", Id.ToString(CultureInfo.InvariantCulture)], Environment.CurrentDirectory, TimeSpan.FromSeconds(10));
        if (exitCode != 0 && !HasExited)
        {
            throw new InvalidOperationException($"kill -{signal} {Id} ({Name}) failed with {exitCode}: {output}");
        }
    }

    /// <summary>SIGKILL to the process and its children: a crash, as far as anyone else can tell.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>SIGKILL, then waits until the process is gone.</summary>
    public async Task KillAsync(TimeSpan timeout)
    {
        Kill();
        await _exited.Task.WaitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            Kill();
            try
            {
                await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Disposal must not hide the test's own failure; a process that outlives SIGKILL is the kernel's.
            }
        }

        AppDomain.CurrentDomain.ProcessExit -= OnTestProcessExit;
        _process.Dispose();
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

    private void Append(string? line, bool standardOutput)
    {
        if (line is not null && _output.Count < _outputLimit)
        {
            _output.Enqueue(line);
            if (standardOutput)
            {
                _standardOutput.Enqueue(line);
            }
        }
    }
}
