using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace NotifyPush.Bench.Reporting;

/// <summary>
/// <c>heap &lt;pid&gt; [--top N]</c>: the live objects of a running .NET process by type (count and bytes), taken the way
/// dotnet-gcdump takes them: an EventPipe session with the GC heap-snapshot keywords makes the runtime run a full
/// blocking GC and walk the heap. Run it against a replica holding idle sockets to see what each socket keeps alive.
/// </summary>
internal static class HeapCommand
{
    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count < 2 || !int.TryParse(args[1], out var pid))
        {
            Console.Error.WriteLine("usage: NotifyPush.Bench heap <pid> [--top N]");
            return 2;
        }

        var top = args.Count >= 4 && args[2] == "--top" && int.TryParse(args[3], out var n) ? n : 40;
        PrintRuntimeCounters(pid);
        var names = new Dictionary<ulong, string>();
        var stats = new Dictionary<ulong, (long Count, long Bytes)>();
        var client = new DiagnosticsClient(pid);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GCHeapSnapshot)],
            requestRundown: false);
        using var source = new EventPipeEventSource(session.EventStream);
        var induced = false;
        var stopping = 0;
        source.Clr.TypeBulkType += data =>
        {
            for (var i = 0; i < data.Count; i++)
            {
                var type = data.Values(i);
                names[type.TypeID] = type.TypeName;
            }
        };
        source.Clr.GCBulkNode += data =>
        {
            for (var i = 0; i < data.Count; i++)
            {
                var node = data.Values(i);
                stats.TryGetValue(node.TypeID, out var seen);
                stats[node.TypeID] = (seen.Count + 1, seen.Bytes + (long)node.Size);
            }
        };
        source.Clr.GCStart += data => induced |= data.Reason == GCReason.Induced;
        source.Clr.GCStop += data =>
        {
            // The heap walk's events follow the induced GC; give them a moment to arrive, then end the session.
            if (induced && Interlocked.Exchange(ref stopping, 1) == 0)
            {
                _ = Task.Delay(1500).ContinueWith(_ => session.Stop(), TaskScheduler.Default);
            }
        };

        var processing = Task.Run(source.Process);
        if (!processing.Wait(TimeSpan.FromSeconds(120)))
        {
            Console.Error.WriteLine("heap: no heap snapshot within 120 s");
            return 1;
        }

        var bytes = stats.Values.Sum(s => s.Bytes);
        var count = stats.Values.Sum(s => s.Count);
        Console.WriteLine($"live objects: {count:N0}, {bytes / (1024.0 * 1024):F1} MB");
        Console.WriteLine($"{"bytes",14} {"count",10}  type");
        foreach (var (id, s) in stats.OrderByDescending(kv => kv.Value.Bytes).Take(top))
        {
            Console.WriteLine($"{s.Bytes,14:N0} {s.Count,10:N0}  {(names.TryGetValue(id, out var name) ? name : "type " + id)}");
        }

        return 0;
    }

    /// <summary>
    /// The runtime's own view of its memory (the <c>System.Runtime</c> event counters, as dotnet-counters shows them):
    /// how much the GC has committed against how much the heap holds, which is what separates RSS from live objects.
    /// </summary>
    private static void PrintRuntimeCounters(int pid)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal)
        {
            "working-set", "gc-heap-size", "gc-committed", "gc-fragmentation", "gen-0-size", "gen-1-size", "gen-2-size",
            "loh-size", "poh-size", "gen-0-gc-count", "gen-1-gc-count", "gen-2-gc-count", "threadpool-thread-count",
        };
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var client = new DiagnosticsClient(pid);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("System.Runtime", EventLevel.Informational, -1, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" })],
            requestRundown: false);
        using var source = new EventPipeEventSource(session.EventStream);
        source.Dynamic.All += data =>
        {
            if (data.EventName != "EventCounters" || data.PayloadValue(0) is not IDictionary<string, object> outer
                || outer.TryGetValue("Payload", out var inner) is false || inner is not IDictionary<string, object> payload)
            {
                return;
            }

            var name = payload.TryGetValue("Name", out var n) ? n?.ToString() : null;
            if (name is null || !wanted.Contains(name))
            {
                return;
            }

            var value = payload.TryGetValue("Mean", out var mean) ? mean : payload.TryGetValue("Increment", out var increment) ? increment : null;
            var units = payload.TryGetValue("DisplayUnits", out var u) ? u?.ToString() : string.Empty;
            values[name] = $"{Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture):N1} {units}".TrimEnd();
        };
        _ = Task.Delay(2500).ContinueWith(_ => session.Stop(), TaskScheduler.Default);
        var processing = Task.Run(source.Process);
        processing.Wait(TimeSpan.FromSeconds(15));
        Console.WriteLine("runtime counters:");
        foreach (var (name, value) in values)
        {
            Console.WriteLine($"  {name,-24} {value}");
        }
    }
}
