using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace NotifyPush.Bench.Reporting;

/// <summary>
/// <c>gc &lt;pid&gt; [--seconds N]</c>: the garbage collections of a running .NET process over N seconds (default 10)
/// with their pauses (runtime suspended → restarted), by generation, from the runtime's GC events over EventPipe.
/// Tells whether GC pauses explain a latency tail.
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
        var client = new DiagnosticsClient(pid);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)ClrTraceEventParser.Keywords.GC)],
            requestRundown: false);
        using var source = new EventPipeEventSource(session.EventStream);
        var pauses = new List<(int Generation, double Milliseconds)>();
        double? suspendedAt = null;
        var generation = -1;
        source.Clr.GCStart += data => generation = data.Depth;
        source.Clr.GCSuspendEEStart += data => suspendedAt = data.TimeStampRelativeMSec;
        source.Clr.GCRestartEEStop += data =>
        {
            if (suspendedAt is { } start)
            {
                pauses.Add((generation, data.TimeStampRelativeMSec - start));
                suspendedAt = null;
            }
        };
        _ = Task.Delay(TimeSpan.FromSeconds(seconds)).ContinueWith(_ => session.Stop(), TaskScheduler.Default);
        Task.Run(source.Process).Wait(TimeSpan.FromSeconds(seconds + 30));

        Console.WriteLine($"GC pauses over {seconds} s: {pauses.Count}, {pauses.Sum(p => p.Milliseconds):F1} ms in total");
        foreach (var group in pauses.GroupBy(p => p.Generation).OrderBy(g => g.Key))
        {
            var sorted = group.Select(p => p.Milliseconds).Order().ToArray();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  gen{group.Key}: {sorted.Length} pauses, median {sorted[sorted.Length / 2]:F2} ms, max {sorted[^1]:F2} ms, total {sorted.Sum():F1} ms"));
        }

        return 0;
    }
}
