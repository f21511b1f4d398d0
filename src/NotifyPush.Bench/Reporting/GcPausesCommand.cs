using System.Globalization;
using NotifyPush.Bench.Measurement;

namespace NotifyPush.Bench.Reporting;

/// <summary>
/// <c>gc &lt;pid&gt; [--seconds N]</c>: the garbage collections of a running .NET process over N seconds (default 10)
/// with their pauses by generation, recorded as the scenarios record them (<see cref="GcPauseRecorder"/>). Tells
/// whether GC pauses explain a latency tail.
/// </summary>
internal static class GcPausesCommand
{
    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count < 2 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var pid))
        {
            Console.Error.WriteLine("usage: NotifyPush.Bench gc <pid> [--seconds N]");
            return 2;
        }

        var seconds = args.Count >= 4 && args[2] == "--seconds" && int.TryParse(args[3], CultureInfo.InvariantCulture, out var s) ? s : 10;
        using var recorder = GcPauseRecorder.TryStart(pid);
        if (recorder is null)
        {
            Console.Error.WriteLine($"gc: process {pid} has no .NET diagnostics port");
            return 1;
        }

        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        var report = recorder.StopAsync().GetAwaiter().GetResult();
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"GC pauses over {seconds} s: {report.Count}, {report.TotalMs:F1} ms in total, p99 {report.P99Ms:F2} ms, max {report.MaxMs:F2} ms; allocated {report.AllocatedMB} MiB, promoted {report.PromotedMB} MiB"));
        foreach (var (generation, pauses) in report.ByGeneration)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {generation}: {pauses.Count} pauses, max {pauses.MaxMs:F2} ms"));
        }

        return 0;
    }
}
