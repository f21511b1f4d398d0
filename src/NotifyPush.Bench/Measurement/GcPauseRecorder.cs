using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace NotifyPush.Bench.Measurement;

/// <summary>
/// The garbage-collection pauses of one .NET server process over a measured phase, with the bytes it allocated (the
/// runtime's <c>alloc-rate</c> counter) and the bytes its collections promoted, from the runtime's events over EventPipe: each pause runs from the runtime's suspension for a GC (<c>GCSuspendEEStart</c>) to its restart
/// (<c>GCRestartEEStop</c>), the time every managed thread stood still. The events carry no payload beyond
/// informational GC ones, so the session costs the measured process little. A process that is not .NET (a Go peer)
/// has no diagnostics port: <see cref="TryStart"/> returns null.
/// </summary>
internal sealed class GcPauseRecorder : IDisposable
{
    private readonly EventPipeSession _session;
    private readonly EventPipeEventSource _source;
    private readonly Task _processing;
    private readonly List<(int Generation, double Milliseconds)> _pauses = [];
    private readonly Lock _lock = new();
    private double _allocatedBytes;
    private double _promotedBytes;

    private GcPauseRecorder(EventPipeSession session)
    {
        _session = session;
        _source = new EventPipeEventSource(session.EventStream);
        double? suspendedAt = null;
        var generation = -1;
        _source.Clr.GCStart += data => generation = data.Depth;
        _source.Clr.GCSuspendEEStart += data => suspendedAt = data.TimeStampRelativeMSec;
        _source.Clr.GCRestartEEStop += data =>
        {
            if (suspendedAt is { } start)
            {
                lock (_lock)
                {
                    _pauses.Add((generation, data.TimeStampRelativeMSec - start));
                }

                suspendedAt = null;
            }
        };
        // Bytes promoted out of gen0 and gen1 by each collection: what survives, and so what a collection must copy.
        _source.Clr.GCHeapStats += data =>
        {
            lock (_lock)
            {
                _promotedBytes += data.TotalPromotedSize0 + data.TotalPromotedSize1;
            }
        };
        // The runtime's counters once a second; alloc-rate's increment is the bytes allocated in that second.
        _source.Dynamic.All += data =>
        {
            if (data.EventName == "EventCounters"
                && data.PayloadValue(0) is IDictionary<string, object> outer
                && outer.TryGetValue("Payload", out var inner) && inner is IDictionary<string, object> payload
                && payload.TryGetValue("Name", out var name) && name is "alloc-rate"
                && payload.TryGetValue("Increment", out var increment))
            {
                lock (_lock)
                {
                    _allocatedBytes += Convert.ToDouble(increment, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        };
        _processing = Task.Run(() => _source.Process());
    }

    public static GcPauseRecorder? TryStart(int pid)
    {
        try
        {
            var session = new DiagnosticsClient(pid).StartEventPipeSession(
                [
                    new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)ClrTraceEventParser.Keywords.GC),
                    new EventPipeProvider("System.Runtime", EventLevel.Informational, 0, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),
                ],
                requestRundown: false);
            return new GcPauseRecorder(session);
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or TimeoutException or IOException)
        {
            return null;
        }
    }

    /// <summary>Ends the session and summarises the pauses seen since the start.</summary>
    public async Task<GcPauseReport> StopAsync()
    {
        try
        {
            await _session.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServerNotAvailableException or IOException or TimeoutException)
        {
            // The process ended: what was read so far is the answer.
        }

        await Task.WhenAny(_processing, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        lock (_lock)
        {
            var report = GcPauseReport.From(_pauses);
            report.AllocatedMB = Math.Round(_allocatedBytes / (1024 * 1024), 1);
            report.PromotedMB = Math.Round(_promotedBytes / (1024 * 1024), 1);
            return report;
        }
    }

    public void Dispose()
    {
        _source.Dispose();
        _session.Dispose();
    }
}
