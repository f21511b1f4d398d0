using System.Text.Json;
using NotifyPush.Bench.Measurement;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// The <c>worker</c> side of the bench: holds its share of the sockets and obeys commands on standard input, one JSON
/// line each; answers with <c>@status</c>, <c>@report</c> and <c>@verify</c> lines on standard output. It exits on
/// <c>stop</c>, when its input closes (the coordinator is gone) or at its deadline.
/// </summary>
internal static class WorkerHost
{
    public static async Task<int> RunAsync()
    {
        var first = await Console.In.ReadLineAsync().ConfigureAwait(false);
        var config = first is null ? null : JsonSerializer.Deserialize<WorkerConfig>(first, BenchResult.Json);
        if (config is null)
        {
            await Console.Error.WriteLineAsync("worker: expected a configuration line on standard input").ConfigureAwait(false);
            return 2;
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(config.DeadlineSeconds));
        using var fleet = new SocketFleet(config);
        var statusLoop = WriteStatusAsync(fleet, deadline.Token);
        Task connecting = Task.CompletedTask;
        try
        {
            while (await Console.In.ReadLineAsync(deadline.Token).ConfigureAwait(false) is { } line)
            {
                var command = JsonSerializer.Deserialize<WorkerCommand>(line, BenchResult.Json)!;
                switch (command.Command)
                {
                    case "connect":
                        await connecting.ConfigureAwait(false);
                        connecting = fleet.ConnectAllAsync(command.Shift, command.Since, deadline.Token);
                        break;
                    case "drop":
                        fleet.DropAll();
                        break;
                    case "reset":
                        fleet.Latency.Reset();
                        break;
                    case "report":
                        Write("@report", new WorkerReport(fleet.Status(), fleet.Latency.Snapshot(), fleet.Errors.Snapshot()));
                        break;
                    case "verify":
                        Write("@verify", fleet.Verify(command.Expected ?? []));
                        break;
                    case "stop":
                        return 0;
                }
            }

            return 0;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"worker {config.WorkerIndex}: deadline of {config.DeadlineSeconds} s reached; stopping").ConfigureAwait(false);
            return 3;
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
            fleet.DropAll();
            await Task.WhenAny(statusLoop, Task.Delay(1000)).ConfigureAwait(false);
        }
    }

    private static async Task WriteStatusAsync(SocketFleet fleet, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                Write("@status", fleet.Status());
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static readonly Lock OutputLock = new();

    private static void Write<T>(string tag, T message)
    {
        var json = JsonSerializer.Serialize(message, BenchResult.Compact);
        lock (OutputLock)
        {
            Console.Out.WriteLine(tag + " " + json);
            Console.Out.Flush();
        }
    }
}
