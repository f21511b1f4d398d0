using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

namespace NotifyPush.Bench.Measurement;

/// <summary>
/// The garbage-collection pauses of one .NET server process over a measured phase, from the runtime's GC events over
/// EventPipe: each pause runs from the runtime's suspension for a GC (<c>GCSuspendEEStart</c>) to its restart
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
        _processing = Task.Run(() => _source.Process());
    }

    public static GcPauseRecorder? TryStart(int pid)
    {
        try
        {
            var session = new DiagnosticsClient(pid).StartEventPipeSession(
                [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)ClrTraceEventParser.Keywords.GC)],
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
            return GcPauseReport.From(_pauses);
        }
    }

    public void Dispose()
    {
        _source.Dispose();
        _session.Dispose();
    }
}
