using System.Diagnostics;
using System.Text.Json;
using NotifyPush.Bench.Measurement;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// The coordinator's handle on one worker process (this program re-invoked with <c>worker</c>): one process holds at
/// most <c>--sockets-per-worker</c> sockets, so the per-process file limit (20,000 here) is never reached.
/// </summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _reading;
    private TaskCompletionSource<WorkerReport>? _report;
    private TaskCompletionSource<VerifyResult>? _verify;
    private volatile WorkerStatus? _status;

    private WorkerProcess(Process process, WorkerConfig config)
    {
        _process = process;
        Config = config;
        _reading = ReadOutputAsync();
        _ = ForwardErrorsAsync();
    }

    public WorkerConfig Config { get; }

    /// <summary>The latest counters (every 200 ms); null before the first.</summary>
    public WorkerStatus? Status => _status;

    public static async Task<WorkerProcess> StartAsync(WorkerConfig config)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var self = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.FileName = self;
            start.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        }
        else
        {
            start.FileName = self;
        }

        start.ArgumentList.Add("worker");
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start a worker process.");
        var worker = new WorkerProcess(process, config);
        await worker.WriteAsync(JsonSerializer.Serialize(config, BenchResult.Compact)).ConfigureAwait(false);
        return worker;
    }

    public Task SendAsync(WorkerCommand command) => WriteAsync(JsonSerializer.Serialize(command, BenchResult.Compact));

    public async Task<WorkerReport> ReportAsync(CancellationToken cancellationToken)
    {
        _report = new TaskCompletionSource<WorkerReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync(new WorkerCommand("report")).ConfigureAwait(false);
        return await _report.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    public async Task<VerifyResult> VerifyAsync(long[] expected, CancellationToken cancellationToken)
    {
        _verify = new TaskCompletionSource<VerifyResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync(new WorkerCommand("verify", Expected: expected)).ConfigureAwait(false);
        return await _verify.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    private async Task ReadOutputAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var tag = space > 0 ? line[..space] : line;
            var json = space > 0 ? line[(space + 1)..] : string.Empty;
            switch (tag)
            {
                case "@status":
                    _status = JsonSerializer.Deserialize<WorkerStatus>(json, BenchResult.Compact);
                    break;
                case "@report":
                    _report?.TrySetResult(JsonSerializer.Deserialize<WorkerReport>(json, BenchResult.Compact)!);
                    break;
                case "@verify":
                    _verify?.TrySetResult(JsonSerializer.Deserialize<VerifyResult>(json, BenchResult.Compact)!);
                    break;
                default:
                    await Console.Error.WriteLineAsync($"worker {Config.WorkerIndex}: {line}").ConfigureAwait(false);
                    break;
            }
        }

        var gone = new InvalidOperationException($"worker {Config.WorkerIndex} exited");
        _report?.TrySetException(gone);
        _verify?.TrySetException(gone);
    }

    private async Task ForwardErrorsAsync()
    {
        while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            await Console.Error.WriteLineAsync($"worker {Config.WorkerIndex}: {line}").ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await SendAsync(new WorkerCommand("stop")).ConfigureAwait(false);
                _process.StandardInput.Close();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException)
        {
            Kill();
        }

        await Task.WhenAny(_reading, Task.Delay(2000)).ConfigureAwait(false);
        _process.Dispose();
    }

    /// <summary>Kills the worker; for the deadline and for exits of the coordinator.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
