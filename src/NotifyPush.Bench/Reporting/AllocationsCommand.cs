using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace NotifyPush.Bench.Reporting;

/// <summary>
/// <c>allocs &lt;pid&gt; [--seconds N] [--top N] [--stacks]</c>: what a running .NET process allocates over N seconds (default 10),
/// by type, from the runtime's allocation samples over EventPipe (<c>GCAllocationTick</c>: one event per ~100 KB
/// allocated, naming the type whose allocation crossed the mark, so a type's share of the samples is its share of the
/// bytes). Run it during a steady phase to see what each notification costs the garbage collector; it counts bytes,
/// not time, so it reads the same on a busy machine.
/// </summary>
internal static class AllocationsCommand
{
    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count < 2 || !int.TryParse(args[1], CultureInfo.InvariantCulture, out var pid))
        {
            Console.Error.WriteLine("usage: NotifyPush.Bench allocs <pid> [--seconds N] [--top N]");
            return 2;
        }

        var seconds = Option(args, "--seconds", 10);
        var top = Option(args, "--top", 30);
        if (args.Contains("--stacks"))
        {
            return RunWithStacks(pid, seconds, top);
        }

        var session = new DiagnosticsClient(pid).StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC)],
            requestRundown: false);
        using var source = new EventPipeEventSource(session.EventStream);
        var bytesByType = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        source.Clr.GCAllocationTick += data =>
        {
            var type = string.IsNullOrEmpty(data.TypeName) ? "(unknown)" : data.TypeName;
            bytesByType[type] = bytesByType.GetValueOrDefault(type) + data.AllocationAmount64;
            total += data.AllocationAmount64;
        };
        _ = Task.Delay(TimeSpan.FromSeconds(seconds)).ContinueWith(_ => session.Stop(), TaskScheduler.Default);
        Task.Run(source.Process).Wait(TimeSpan.FromSeconds(seconds + 30));
        session.Dispose();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocated over {seconds} s: {total / (1024.0 * 1024):F1} MiB (sampled every ~100 KB)"));
        foreach (var (type, bytes) in bytesByType.OrderByDescending(t => t.Value).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {100.0 * bytes / Math.Max(1, total),5:F1}%  {bytes / (1024.0 * 1024),8:F1} MiB  {type}"));
        }

        return 0;
    }

    /// <summary>
    /// With <c>--stacks</c>: the samples' call stacks (the session asks for the runtime's rundown, so JIT-compiled
    /// methods have names), by the first NotifyPush frame that led to the allocation, with its type.
    /// </summary>
    private static int RunWithStacks(int pid, int seconds, int top)
    {
        var file = Path.Combine(Path.GetTempPath(), $"notifypush-allocs-{pid}-{Environment.TickCount64}.nettrace");
        var session = new DiagnosticsClient(pid).StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.Loader | ClrTraceEventParser.Keywords.Jit))],
            requestRundown: true);
        using (var output = File.Create(file))
        {
            var copy = session.EventStream.CopyToAsync(output);
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            try
            {
                session.Stop();
            }
            catch (ServerNotAvailableException)
            {
                // The process ended: the trace holds what it wrote until then.
            }

            copy.Wait(TimeSpan.FromSeconds(60));
        }

        session.Dispose();
        var etlx = TraceLog.CreateFromEventPipeDataFile(file);
        using var log = new TraceLog(etlx);
        var bySite = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        foreach (var data in log.Events.ByEventType<GCAllocationTickTraceData>())
        {
            var site = "(no NotifyPush frame)";
            var frames = new List<string>();
            for (var frame = data.CallStack(); frame is not null; frame = frame.Caller)
            {
                var method = frame.CodeAddress.FullMethodName;
                if (string.IsNullOrEmpty(method))
                {
                    continue;
                }

                if (frames.Count < 3)
                {
                    frames.Add(method);
                }

                if (method.StartsWith("NotifyPush.", StringComparison.Ordinal))
                {
                    site = method;
                    break;
                }
            }

            var key = $"{data.TypeName}  <-  {site}  [{string.Join(" < ", frames)}]";
            bySite[key] = bySite.GetValueOrDefault(key) + data.AllocationAmount64;
            total += data.AllocationAmount64;
        }

        File.Delete(file);
        File.Delete(etlx);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocated over {seconds} s: {total / (1024.0 * 1024):F1} MiB (sampled every ~100 KB), by type and first NotifyPush frame"));
        foreach (var (site, bytes) in bySite.OrderByDescending(t => t.Value).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {100.0 * bytes / Math.Max(1, total),5:F1}%  {site}"));
        }

        return 0;
    }

    private static int Option(IReadOnlyList<string> args, string name, int fallback)
    {
        for (var i = 2; i + 1 < args.Count; i++)
        {
            if (args[i] == name && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return fallback;
    }
}
